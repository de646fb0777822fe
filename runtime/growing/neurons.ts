/**
 * Growing neurons: a dense hidden layer gains neurons, and a new model comes
 * back with everything that existed carried over — weights, biases, masks,
 * and the state of an optimizer that keeps training it.
 *
 * New neurons are appended at the end of the layer. Modes:
 * - `zero`: incoming weights drawn like the initialisation, outgoing weights
 *   0 — the network computes exactly what it did (function-preserving);
 * - `split` (Net2Net): each new neuron copies the incoming weights and bias of
 *   a chosen neuron, and that neuron's outgoing weights are halved and shared
 *   with its copy — function-preserving too;
 * - `fresh`: incoming and outgoing weights drawn like the initialisation.
 * Function preservation needs the layer without layer normalisation (new
 * neurons would change the normalisation statistics), so preserving modes
 * refuse networks with layer_norm.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initLimit } from "../init.js";
import { decodeMask, encodeMask } from "../masks/codec.js";
import type { Model } from "../model.js";
import { createNetwork } from "../network.js";
import { createRandom, type Random } from "../random.js";
import type { NetworkSpec } from "../spec.js";

export interface GrowNeuronsOptions {
  readonly mode: "zero" | "split" | "fresh";
  /** Neurons to add (modes zero and fresh). */
  readonly count?: number;
  /** Neurons to split, one new neuron each (mode split). */
  readonly split?: readonly number[];
  /** Seed of the new weights. */
  readonly seed?: number;
  /** An optimizer whose state (moments, velocities) follows the growth; new entries start at 0. */
  readonly optimizer?: tf.Optimizer;
}

/** @throws Error for a layer that is not a dense hidden layer, bad counts, or a preserving mode with layer norm. */
export async function growNeurons(model: Model, layerName: string, options: GrowNeuronsOptions): Promise<Model> {
  const where = `${model.name}.growNeurons`;
  const spec = model.spec;
  const l = spec.layers.findIndex((layer) => layer.name === layerName);
  const layer = spec.layers[l];
  if (layer === undefined) throw new Error(`${where}: unknown layer '${layerName}'`);
  if (layer.kind !== "hidden" || layer.vertices !== undefined) {
    throw new Error(`${where}: neurons can be added to dense hidden layers; '${layerName}' is ${layer.kind !== "hidden" ? `the ${layer.kind}` : "a structure's depth (grow the structure with scalable(…) instead)"}`);
  }
  const split = options.mode === "split" ? [...(options.split ?? [])] : [];
  const added = options.mode === "split" ? split.length : (options.count ?? 0);
  if (!Number.isInteger(added) || added < 1) throw new Error(`${where}: add at least one neuron (count, or split for mode split)`);
  for (const j of split) if (!Number.isInteger(j) || j < 0 || j >= layer.size) throw new Error(`${where}: layer '${layerName}' has neurons 0 … ${layer.size - 1}, not ${j}`);
  if (options.mode !== "fresh" && spec.layerNorm) throw new Error(`${where}: mode '${options.mode}' preserves the function only without layer_norm; use mode 'fresh'`);
  const fusedRows = (target: string): number => {
    const kernel = spec.kernels.find((k) => spec.layers[k.target]!.name === target)!;
    return kernel.blocks.reduce((n, b) => n + spec.layers[spec.blocks[b]!.source]!.size, 0);
  };
  if (model.parameters.some((p) => p.name.endsWith(".weight") && (p.variable.rank === 1 || p.variable.shape[0] !== fusedRows(p.name.slice(0, -".weight".length))))) {
    throw new Error(`${where}: the network runs sparse or packed kernels; create it with execution "dense" to grow neurons, or use growInto`);
  }
  if (spec.learnable?.blocks.some((b) => spec.blocks.some((x) => x.name === b && (x.source === l || x.target === l)))) {
    throw new Error(`${where}: '${layerName}' has learnable masks, which cannot grow`);
  }

  const oldSize = layer.size;
  const grownSpec = grow(spec, l, added);
  const grown = await createNetwork(grownSpec, { backend: model.backend, seed: options.seed ?? 0 });
  const random = createRandom((options.seed ?? 0) + 7919);
  const remap = kernelRemaps(spec, l, added);

  // Parameters, by name: old entries carried over, new ones set by the mode.
  const newValues = new Map<string, Float32Array>();
  for (const parameter of grown.parameters) {
    const old = model.parameters.find((p) => p.name === parameter.name);
    if (old === undefined) continue;
    const values = old.variable.dataSync() as Float32Array;
    const target = parameter.name.slice(0, parameter.name.lastIndexOf("."));
    const kind = parameter.name.slice(parameter.name.lastIndexOf(".") + 1);
    const k = spec.layers.findIndex((x) => x.name === target);
    const next = kind === "weight" ? remap.get(k)!(values, 0) : target === layerName ? padVector(values, added, kind === "gain" ? 1 : 0) : Float32Array.from(values);
    fillNew(next, { kind, k, l, spec, oldSize, added, split, mode: options.mode, random, values, remap: remap.get(k) });
    newValues.set(parameter.name, next);
  }
  for (const parameter of grown.parameters) {
    const values = newValues.get(parameter.name);
    if (values === undefined) continue;
    const tensor = tf.tensor(values, parameter.variable.shape);
    parameter.variable.assign(tensor);
    tensor.dispose();
  }
  // Masks as they were (pruning and dynamic sparsity included); new connections live.
  for (const block of model.blocks) {
    const info = grown.blocks.find((b) => b.name === block.name)!;
    const old = model.getMask(block.name);
    const mask = new Uint8Array(info.sourceSize * info.targetSize).fill(1);
    for (let r = 0; r < block.sourceSize; r++) for (let c = 0; c < block.targetSize; c++) mask[r * info.targetSize + c] = old[r * block.targetSize + c]!;
    grown.setMask(block.name, mask);
  }
  if (options.optimizer) await migrateOptimizer(options.optimizer, model, grown, remap, l, added);
  return grown;
}

/** The spec with `added` neurons appended to layer l; masks extended with the new entries live. */
function grow(spec: NetworkSpec, l: number, added: number): NetworkSpec {
  const layers = spec.layers.map((layer, i) => (i === l ? { ...layer, size: layer.size + added } : layer));
  const blocks = spec.blocks.map((block) => {
    if (block.source !== l && block.target !== l) return block;
    const [rows, cols] = [spec.layers[block.source]!.size, spec.layers[block.target]!.size];
    const [newRows, newCols] = [layers[block.source]!.size, layers[block.target]!.size];
    const old = decodeMask(block.mask, rows * cols);
    const live: number[] = [];
    for (let r = 0; r < newRows; r++) {
      for (let c = 0; c < newCols; c++) if (r >= rows || c >= cols || old[r * cols + c] === 1) live.push(r * newCols + c);
    }
    return { ...block, mask: encodeMask(newRows * newCols, live) };
  });
  return { ...spec, layers, blocks };
}

type Remap = (old: Float32Array, fill: number) => Float32Array;

/** For each kernel (by target layer index): old fused values into the grown shape, new entries set to `fill`. */
function kernelRemaps(spec: NetworkSpec, l: number, added: number): Map<number, Remap> {
  const remaps = new Map<number, Remap>();
  for (const kernel of spec.kernels) {
    const cols = spec.layers[kernel.target]!.size;
    const newCols = cols + (kernel.target === l ? added : 0);
    const segments = kernel.blocks.map((b) => spec.blocks[b]!.source).map((s) => ({ rows: spec.layers[s]!.size, extra: s === l ? added : 0 }));
    remaps.set(kernel.target, (old, fill) => {
      const newRows = segments.reduce((n, s) => n + s.rows + s.extra, 0);
      const next = new Float32Array(newRows * newCols).fill(fill);
      let oldRow = 0;
      let newRow = 0;
      for (const segment of segments) {
        for (let r = 0; r < segment.rows; r++) {
          for (let c = 0; c < cols; c++) next[(newRow + r) * newCols + c] = old[(oldRow + r) * cols + c]!;
        }
        oldRow += segment.rows;
        newRow += segment.rows + segment.extra;
      }
      return next;
    });
  }
  return remaps;
}

/** Where in a grown kernel's fused weight the rows of source layer l begin (and the kernel's column count). */
function segmentStart(spec: NetworkSpec, k: number, l: number, added: number): { start: number; cols: number } | undefined {
  const kernel = spec.kernels.find((x) => x.target === k)!;
  let start = 0;
  for (const b of kernel.blocks) {
    const source = spec.blocks[b]!.source;
    if (source === l) return { start, cols: spec.layers[k]!.size + (k === l ? added : 0) };
    start += spec.layers[source]!.size + (source === l ? added : 0);
  }
  return undefined;
}

function fillNew(
  next: Float32Array,
  c: {
    kind: string;
    k: number;
    l: number;
    spec: NetworkSpec;
    oldSize: number;
    added: number;
    split: readonly number[];
    mode: GrowNeuronsOptions["mode"];
    random: Random;
    values: Float32Array;
    remap: Remap | undefined;
  },
): void {
  const activation = c.spec.activation;
  if (c.kind === "bias" && c.k === c.l && c.mode === "split") c.split.forEach((j, n) => (next[c.oldSize + n] = c.values[j]!));
  if (c.kind !== "weight") return;
  const newCols = c.spec.layers[c.k]!.size + (c.k === c.l ? c.added : 0);
  const rows = next.length / newCols;
  if (c.k === c.l) {
    // Incoming weights of the new neurons: columns oldSize … oldSize + added − 1.
    for (let n = 0; n < c.added; n++) {
      const col = c.oldSize + n;
      const limit = initLimit(activation, rows);
      for (let r = 0; r < rows; r++) {
        next[r * newCols + col] = c.mode === "split" ? next[r * newCols + c.split[n]!]! : c.random.uniform(-limit, limit);
      }
    }
  }
  const segment = segmentStart(c.spec, c.k, c.l, c.added);
  if (segment === undefined) return;
  // Outgoing weights of the new neurons: rows oldSize … of the l segment.
  for (let n = 0; n < c.added; n++) {
    const row = segment.start + c.oldSize + n;
    const limit = initLimit(activation, rows);
    for (let col = 0; col < segment.cols; col++) {
      if (c.mode === "split") {
        const from = (segment.start + c.split[n]!) * segment.cols + col;
        next[from] = next[from]! / 2;
        next[row * segment.cols + col] = next[from]!;
      } else {
        next[row * segment.cols + col] = c.mode === "fresh" ? c.random.uniform(-limit, limit) : 0;
      }
    }
  }
}

function padVector(values: Float32Array, added: number, fill: number): Float32Array {
  const next = new Float32Array(values.length + added).fill(fill);
  next.set(values);
  return next;
}

/**
 * Rewrites an optimizer's per-variable state for the grown model: each state
 * tensor (`VARIABLE/m`, `/v`, `/momentum`, …) is renamed to the grown model's
 * variable and padded with zeros like its variable, in the grown model's
 * parameter order, which is the order `fit` hands variables to the optimizer.
 */
async function migrateOptimizer(optimizer: tf.Optimizer, model: Model, grown: Model, remap: Map<number, Remap>, l: number, added: number): Promise<void> {
  const state = await optimizer.getWeights();
  if (state.length === 0) return;
  const iterations = state[0]!.name === "iter" ? state[0] : undefined;
  const slots = iterations ? state.slice(1) : state;
  const suffixes = [...new Set(slots.map((s) => s.name.slice(s.name.lastIndexOf("/") + 1)))];
  const migrated: { name: string; tensor: tf.Tensor }[] = [];
  for (const suffix of suffixes) {
    for (const parameter of grown.parameters) {
      const old = model.parameters.find((p) => p.name === parameter.name);
      const slot = old && slots.find((s) => s.name === `${old.variable.name}/${suffix}`);
      let values: Float32Array;
      if (slot === undefined || old === undefined) {
        values = new Float32Array(parameter.variable.size);
      } else {
        const data = slot.tensor.dataSync() as Float32Array;
        const target = parameter.name.slice(0, parameter.name.lastIndexOf("."));
        const k = model.spec.layers.findIndex((x) => x.name === target);
        values = parameter.name.endsWith(".weight") ? remap.get(k)!(data, 0) : k === l ? padVector(data, added, 0) : Float32Array.from(data);
      }
      migrated.push({ name: `${parameter.variable.name}/${suffix}`, tensor: tf.tensor(values, parameter.variable.shape) });
    }
  }
  await optimizer.setWeights([...(iterations ? [iterations] : []), ...migrated]);
  tf.dispose(migrated.map((m) => m.tensor));
}
