/**
 * Reading weights files of format version 1, written before storage became
 * independent of execution: a kernel's `.weight` was the fused
 * [rows, cols] matrix (dense), its used rows (dense under `auto`, packed) or
 * one value per connection (sparse), masks were per block [source, target],
 * and specs named a layer's kind instead of its origin. Each is converted to
 * the canonical layout here, so such files load under any execution.
 */
import type { Model } from "./model.js";
import type { LayerOrigin, LayerSpec, NetworkSpec } from "./spec.js";
import { forEachBlockConnection, fromFused, networkLayout, type KernelLayout } from "./storage/layout.js";

/** A file's decoded entries by name, as flat arrays. */
export type EntryValues = Map<string, { readonly shape: readonly number[]; readonly values: Float32Array | Uint8Array }>;

/** A version 1 spec's layer: a kind where version 2 has an origin. */
interface LayerSpecV1 {
  readonly name: string;
  readonly kind?: "input" | "hidden" | "output";
  readonly size: number;
  readonly vertices?: string;
}

/** The origin a version 1 layer had, from its kind and the names the compiler gave (`denseN`, `GRAPH.dN`, `GRAPH.dN#k`). */
function originOf(layer: LayerSpecV1, denseSoFar: number): LayerOrigin {
  if (layer.kind === "input" || layer.kind === "output") return { kind: layer.kind };
  const structure = layer.vertices === undefined ? null : /^(.*)\.d(\d+)(?:#(\d+))?$/.exec(layer.name);
  if (structure !== null) return { kind: "structure", graph: structure[1]!, use: Number(structure[3] ?? 1), depth: Number(structure[2]) };
  const dense = /^dense(\d+)$/.exec(layer.name);
  return { kind: "dense", index: dense === null ? denseSoFar + 1 : Number(dense[1]) };
}

/** A version 1 spec in the current form; a current spec comes back unchanged. */
export function upgradeSpec(spec: NetworkSpec): NetworkSpec {
  const layers = spec.layers as readonly (LayerSpec | LayerSpecV1)[];
  if (layers.every((layer) => "origin" in layer)) return spec;
  let dense = 0;
  const upgraded = layers.map((layer): LayerSpec => {
    if ("origin" in layer) return layer;
    const origin = originOf(layer, dense);
    if (origin.kind === "dense") dense = origin.index;
    return { name: layer.name, origin, size: layer.size, ...(layer.vertices === undefined ? {} : { vertices: layer.vertices }) };
  });
  return { ...spec, layers: upgraded };
}

/**
 * A version 1 file's entries in the version 2 layout of `model`: weights,
 * masks and mask logits per connection. Entries it does not know pass
 * through, so the caller names them.
 */
export function upgradeEntries(model: Model, entries: EntryValues, refuse: (reason: string) => never): EntryValues {
  const out: EntryValues = new Map(entries);
  for (const layout of networkLayout(model.spec)) {
    const layer = model.spec.layers[layout.target]!.name;
    const weight = entries.get(`${layer}.weight`);
    out.delete(`${layer}.weight`);
    if (weight !== undefined && layout.count > 0) out.set(`${layer}.weight`, { shape: layout.shape, values: weightPerConnection(layout, layer, weight, refuse) });
    const logits = entries.get(`${layer}.maskLogits`);
    if (logits !== undefined) out.set(`${layer}.maskLogits`, { shape: [...layout.shape, 2], values: logitsPerConnection(layout, logits.values as Float32Array) });
    const live = new Uint8Array(layout.count);
    let found = false;
    for (const slice of layout.blocks) {
      const mask = entries.get(`${slice.name}.mask`);
      if (mask === undefined) continue;
      found = true;
      out.delete(`${slice.name}.mask`);
      let structural = 0;
      forEachBlockConnection(layout, slice, (e, entry) => ((live[e] = mask.values[entry]!), (structural += mask.values[entry]!)));
      let switchedOn = 0;
      for (const v of mask.values) switchedOn += v;
      if (switchedOn !== structural)
        refuse(`the mask of block '${slice.name}' switches on connections that are not in its structure; rebuild the model from its .ds file and copy the weights with setWeights`);
    }
    if (found && layout.count > 0) out.set(`${layer}.mask`, { shape: layout.shape, values: live });
  }
  return out;
}

function weightPerConnection(
  layout: KernelLayout,
  layer: string,
  weight: { readonly shape: readonly number[]; readonly values: Float32Array | Uint8Array },
  refuse: (reason: string) => never,
): Float32Array {
  const values = weight.values as Float32Array;
  const [rows, cols] = [weight.shape[0], weight.shape[1]];
  if (weight.shape.length === 1 && rows === layout.count) return Float32Array.from(values);
  if (weight.shape.length === 2 && cols === layout.cols && rows === layout.rows) return fromFused(layout, values);
  if (weight.shape.length === 2 && cols === layout.cols && rows === layout.usedRows.length) {
    const fused = new Float32Array(layout.rows * layout.cols);
    layout.usedRows.forEach((row, p) => fused.set(values.subarray(p * cols, (p + 1) * cols), row * cols));
    return fromFused(layout, fused);
  }
  return refuse(
    `parameter '${layer}.weight' is [${weight.shape.join(", ")}] in the version 1 file, which fits none of [${layout.rows}, ${layout.cols}], [${layout.usedRows.length}, ${layout.cols}] or [${layout.count}]`,
  );
}

/** Version 1 logits were [rows, cols, 2] over the fused matrix. */
function logitsPerConnection(layout: KernelLayout, logits: Float32Array): Float32Array {
  if (layout.full) return Float32Array.from(logits);
  const { rows, targets } = layout.edges();
  const out = new Float32Array(2 * layout.count);
  for (let e = 0; e < layout.count; e++) {
    const at = 2 * (rows[e]! * layout.cols + targets[e]!);
    out[2 * e] = logits[at]!;
    out[2 * e + 1] = logits[at + 1]!;
  }
  return out;
}
