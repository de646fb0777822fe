/**
 * Growing a structure: moving a trained model into a larger version of its
 * network — typically a scalable family at a larger scale, `scalable(g,
 * scale=s)` → `scalable(g, scale=s′)` — keeping the trained state of
 * everything that existed.
 *
 * Neurons correspond by identity: in a layer made from a graph, the i-th
 * neuron of vertex v's group is (v, i); elsewhere the i-th neuron of the
 * layer. Connections between corresponding neurons keep their weight, their
 * mask (pruned stays pruned, live stays live) and their learned mask logits
 * (carried-logits.ts: the static mask and the logits both, so the grown
 * network computes with the old mask and its learning goes on from there);
 * connections into new neurons are drawn like the initialisation;
 * connections out of new neurons start at 0 (`zero`, which preserves the
 * function when the network has no layer norm) or are drawn too (`fresh`).
 * A pruned neuron (structural inputs, none live) gets no live input from new
 * neurons either, so it stays pruned. Biases of new neurons start at 0,
 * layer-norm gains at 1 and shifts at 0.
 * New connections keep what the grown network was made with: its static
 * mask and its fresh logits (the spec's keep probability), so they start as
 * in a fresh network of that kind. Feature layers, cells and recurrent
 * layers carry theirs the same way (feature-transfer.ts, cells/grow.ts,
 * recurrent-transfer.ts).
 */
import { initLimit } from "../init.js";
import { transferCells } from "../cells/grow.js";
import type { BlockInfo, LayerInfo, Model } from "../model.js";
import { createNetwork } from "../network.js";
import { createRandom, type Random } from "../random.js";
import type { NetworkSpec } from "../spec.js";
import { writeVariable } from "../storage/blocks.js";
import { forEachBlockConnection, networkLayout } from "../storage/layout.js";
import { carriedLogits, type CarriedLogits } from "./carried-logits.js";
import { maskLogits, withLearnedMasksOpen } from "../masks/static.js";
import { transferStem } from "./feature-transfer.js";
import { transferRecurrent } from "./recurrent-transfer.js";

export interface TransferOptions {
  readonly mode?: "zero" | "fresh";
  readonly seed?: number;
}

/** For each neuron of a grown layer, the same neuron of the old layer (undefined: new), by layer name. */
type Neurons = ReadonlyMap<string, readonly (number | undefined)[]>;

/**
 * A new network of `spec` holding `model`'s trained state wherever its neurons, channels and entries existed.
 * `model` keeps its own state (its learned masks are held open while it is read, and their logits put back as they were).
 * @throws Error (after freeing the new network) for layers that cannot correspond: cell networks over other graphs, a conv
 * or batch norm the old network lacks, feature layers or recurrent layers of other shapes.
 */
export async function growInto(model: Model, spec: NetworkSpec, options: TransferOptions = {}): Promise<Model> {
  const grown = await createNetwork(spec, { backend: model.backend, seed: options.seed ?? 0, execution: model.executionMode });
  const mode = options.mode ?? "zero";
  try {
    const logits = carriedLogits(model, grown);
    // Only the old masks that learn in the grown network too: one that stops learning carries the mask computed with.
    const learning = new Set(maskLogits(grown).keys());
    withLearnedMasksOpen(model, () => withLearnedMasksOpen(grown, () => transfer(model, grown, mode, options.seed ?? 0, logits)), learning);
    logits.commit();
  } catch (error) {
    grown.dispose();
    throw error;
  }
  return grown;
}

/** Every weight, mask, logit, bias and statistic of `old` into `grown`, with both networks' learned masks held open. */
function transfer(old: Model, grown: Model, mode: "zero" | "fresh", seed: number, logits: CarriedLogits): void {
  const neurons: Neurons = new Map(
    grown.layers.map((layer) => [
      layer.name,
      correspondence(
        layer,
        old.layers.find((l) => l.name === layer.name),
      ),
    ]),
  );
  transferBlocks(old, grown, neurons, mode, createRandom(seed + 104729), logits);
  transferLayers(old, grown, neurons);
  const [cells, oldCells] = [grown.spec.cells, old.spec.cells];
  if (cells !== undefined || oldCells !== undefined) {
    if (cells === undefined || oldCells === undefined) throw new Error(`growInto: '${old.name}' and '${grown.name}' must both be cell networks, or neither`);
    transferCells(old, grown, cells, oldCells, mode, logits);
  } else transferStem(old, grown, mode === "zero", logits);
  transferRecurrent(old, grown, logits);
}

/** Per block, its connections' indices in its kernel (−1 off the structure) by row-major entry, and the kernel's layer: where its logits are. */
export function connectionIndices(spec: NetworkSpec): Map<string, { readonly layer: string; readonly at: Int32Array }> {
  const result = new Map<string, { layer: string; at: Int32Array }>();
  for (const layout of networkLayout(spec)) {
    for (const slice of layout.blocks) {
      const at = new Int32Array(slice.sourceSize * layout.cols).fill(-1);
      forEachBlockConnection(layout, slice, (e, entry) => (at[entry] = e));
      result.set(slice.name, { layer: spec.layers[layout.target]!.name, at });
    }
  }
  return result;
}

function transferBlocks(old: Model, grown: Model, neurons: Neurons, mode: "zero" | "fresh", random: Random, logits: CarriedLogits): void {
  const [oldIndex, newIndex] = [connectionIndices(old.spec), connectionIndices(grown.spec)];
  const pruned = prunedNeurons(old, oldIndex);
  for (const block of grown.blocks) {
    const before = old.blocks.find((b) => b.name === block.name);
    const { layer, at } = newIndex.get(block.name)!;
    const [rows, cols] = [neurons.get(block.source)!, neurons.get(block.target)!];
    const oldWeights = before ? old.getWeights(before.name) : undefined;
    const oldMask = before ? old.getMask(before.name) : undefined;
    const oldAt = before ? oldIndex.get(before.name)!.at : undefined;
    // Learned masks are held open while growing (carried-logits.ts): these are the static masks and the weights under them.
    const mask = grown.getMask(block.name);
    const weights = new Float32Array(block.sourceSize * block.targetSize);
    const fanIn = fanIns(block, mask);
    for (let r = 0; r < block.sourceSize; r++) {
      for (let c = 0; c < block.targetSize; c++) {
        const i = r * block.targetSize + c;
        const [or, oc] = [rows[r], cols[c]];
        if (before && or !== undefined && oc !== undefined) {
          const j = or * before.targetSize + oc;
          weights[i] = oldWeights![j]!;
          mask[i] = at[i]! >= 0 ? oldMask![j]! : 0;
          if (at[i]! >= 0 && oldAt![j]! >= 0) logits.carry(layer, at[i]!, oldAt![j]!);
          continue;
        }
        // A pruned neuron stays pruned, new inputs included.
        if (oc !== undefined && pruned.get(block.target)?.[oc] === 1) mask[i] = 0;
        if (oc === undefined || mode === "fresh") {
          const limit = initLimit(old.spec.activation, fanIn[c]!);
          weights[i] = random.uniform(-limit, limit);
        }
      }
    }
    grown.setMask(block.name, mask);
    grown.setWeights(block.name, weights);
  }
}

/** Per layer of `old`, 1 for each neuron whose structure has incoming connections but none of them is live (pruned as a neuron). */
function prunedNeurons(old: Model, index: ReturnType<typeof connectionIndices>): Map<string, Uint8Array> {
  const counts = new Map<string, { structural: Uint32Array; live: Uint32Array }>();
  for (const block of old.blocks) {
    const size = old.layers.find((l) => l.name === block.target)!.size;
    const entry = counts.get(block.target) ?? { structural: new Uint32Array(size), live: new Uint32Array(size) };
    counts.set(block.target, entry);
    const [mask, at] = [old.getMask(block.name), index.get(block.name)!.at];
    at.forEach((e, i) => {
      if (e < 0) return;
      entry.structural[i % block.targetSize]!++;
      entry.live[i % block.targetSize]! += mask[i]!;
    });
  }
  return new Map([...counts].map(([layer, { structural, live }]) => [layer, Uint8Array.from(structural, (n, c) => (n > 0 && live[c] === 0 ? 1 : 0))]));
}

function fanIns(block: BlockInfo, mask: Uint8Array): Uint32Array {
  const fanIn = new Uint32Array(block.targetSize);
  mask.forEach((m, i) => m === 1 && fanIn[i % block.targetSize]!++);
  return fanIn;
}

/** Biases and layer-norm gains and shifts, neuron by neuron. */
function transferLayers(old: Model, grown: Model, neurons: Neurons): void {
  for (const layer of grown.layers) {
    if (layer.kind === "input" || !old.layers.some((l) => l.name === layer.name)) continue;
    const index = neurons.get(layer.name)!;
    const before = old.getBias(layer.name);
    grown.setBias(
      layer.name,
      Float32Array.from({ length: layer.size }, (_, n) => (index[n] === undefined ? 0 : before[index[n]!]!)),
    );
    for (const kind of ["gain", "shift"]) {
      const from = old.parameters.find((p) => p.name === `${layer.name}.${kind}`);
      const to = grown.parameters.find((p) => p.name === `${layer.name}.${kind}`);
      if (!from || !to) continue;
      const values = from.variable.dataSync();
      writeVariable(
        to.variable,
        Float32Array.from({ length: layer.size }, (_, n) => (index[n] === undefined ? (kind === "gain" ? 1 : 0) : values[index[n]!]!)),
      );
    }
  }
}

/** For each neuron of the new layer, the index of the same neuron in the old layer (undefined for a new one). */
function correspondence(layer: LayerInfo, old: LayerInfo | undefined): (number | undefined)[] {
  if (old === undefined) return new Array<undefined>(layer.size).fill(undefined);
  const key = (info: LayerInfo, n: number, seen: Map<number, number>): string => {
    const vertex = info.vertices?.[n];
    if (vertex === undefined) return String(n);
    const occurrence = seen.get(vertex) ?? 0;
    seen.set(vertex, occurrence + 1);
    return `${vertex}#${occurrence}`;
  };
  const seenOld = new Map<number, number>();
  const oldKeys = new Map(Array.from({ length: old.size }, (_, n) => [key(old, n, seenOld), n]));
  const seenNew = new Map<number, number>();
  return Array.from({ length: layer.size }, (_, n) => oldKeys.get(key(layer, n, seenNew)));
}
