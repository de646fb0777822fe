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
 *
 * Learnable masks grow too: the static masks beneath them (read with the
 * learned masks held open, masks/static.ts) carry as static masks do, and
 * the logits carry connection by connection (neuron-logits.ts); a new
 * neuron's connections start with a fresh network's logits, a split copy's
 * with those of the neuron it copies.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initLimit } from "../init.js";
import { decodeMask, encodeMask } from "../masks/codec.js";
import { withLearnedMasksOpen } from "../masks/static.js";
import type { Model } from "../model.js";
import { createNetwork } from "../network.js";
import { writeVariable } from "../storage/blocks.js";
import { prunableWeights } from "../pruning/weights.js";
import { createRandom, type Random } from "../random.js";
import { fromFused, networkLayout, toFused } from "../storage/layout.js";
import type { NetworkSpec } from "../spec.js";
import { entrySource, isMaskLogits, logitCarrier, type LogitCarrier } from "./neuron-logits.js";

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

/**
 * Feature layers (convs, batch norms: their running statistics too), cells and recurrent layers, which a dense
 * hidden layer's size does not shape, are carried unchanged, masks and learned logits included.
 * @throws Error for a layer that is not a dense hidden layer, bad counts, or a preserving mode with layer norm.
 */
export async function growNeurons(model: Model, layerName: string, options: GrowNeuronsOptions): Promise<Model> {
  const where = `${model.name}.growNeurons`;
  const spec = model.spec;
  const l = spec.layers.findIndex((layer) => layer.name === layerName);
  const layer = spec.layers[l];
  if (layer === undefined) throw new Error(`${where}: unknown layer '${layerName}'`);
  if (layer.origin.kind !== "dense") {
    const what = layer.origin.kind === "structure" ? "a structure's depth (grow the structure with scalable(…) instead)" : `the ${layer.origin.kind}`;
    throw new Error(`${where}: neurons can be added to dense hidden layers; '${layerName}' is ${what}`);
  }
  const split = options.mode === "split" ? [...(options.split ?? [])] : [];
  const added = options.mode === "split" ? split.length : (options.count ?? 0);
  if (!Number.isInteger(added) || added < 1) throw new Error(`${where}: add at least one neuron (count, or split for mode split)`);
  for (const j of split) if (!Number.isInteger(j) || j < 0 || j >= layer.size) throw new Error(`${where}: layer '${layerName}' has neurons 0 … ${layer.size - 1}, not ${j}`);
  if (options.mode !== "fresh" && spec.layerNorm) throw new Error(`${where}: mode '${options.mode}' preserves the function only without layer_norm; use mode 'fresh'`);

  const grownSpec = grow(spec, l, added);
  const grown = await createNetwork(grownSpec, { backend: model.backend, seed: options.seed ?? 0, execution: model.executionMode });
  const carry = carrier(spec, grownSpec, l, added);
  const random = createRandom((options.seed ?? 0) + 7919);
  const oldSize = layer.size;
  const logits = logitCarrier(model, grown, layerName, split);
  for (const parameter of grown.parameters) {
    const old = model.parameters.find((p) => p.name === parameter.name);
    if (old === undefined) continue;
    const values = old.variable.dataSync() as Float32Array;
    if (isMaskLogits(parameter.name)) {
      writeVariable(parameter.variable, logits(parameter.name, values, parameter.variable.dataSync() as Float32Array));
      continue;
    }
    const kind = parameter.name.slice(parameter.name.lastIndexOf(".") + 1);
    const next = carry(parameter.name, values, (fused, k) => fillNew(fused, { k, l, spec, oldSize, added, split, mode: options.mode, random }), kind === "gain" ? 1 : 0);
    if (kind === "bias" && layer.name === parameter.name.slice(0, -".bias".length) && options.mode === "split") split.forEach((j, n) => (next[oldSize + n] = values[j]!));
    const tensor = tf.tensor(next, parameter.variable.shape);
    parameter.variable.assign(tensor);
    tensor.dispose();
  }
  for (const statistic of grown.state) writeVariable(statistic.variable, model.state.find((s) => s.name === statistic.name)!.variable.dataSync() as Float32Array);
  // Static masks, beneath learned ones: both networks' learned masks are held open while they are read and written.
  withLearnedMasksOpen(model, () => withLearnedMasksOpen(grown, () => carryMasks(model, grown, layerName, split)));
  if (options.optimizer) await migrateOptimizer(options.optimizer, model, grown, carry, logits);
  return grown;
}

/**
 * Masks as they were (pruning and dynamic sparsity included); new connections live, or in split mode
 * masked like the neuron they copy, so a pruned connection's kept weight does not come back to life.
 */
function carryMasks(model: Model, grown: Model, layerName: string, split: readonly number[]): void {
  // Convs' and recurrent weights' masks keep their shapes.
  for (const weight of prunableWeights(model)) if (weight.kind !== "dense") grown.setMask(weight.name, model.getMask(weight.name));
  for (const block of model.blocks) {
    const info = grown.blocks.find((b) => b.name === block.name)!;
    const old = model.getMask(block.name);
    const source = entrySource(block, layerName, split);
    const mask = new Uint8Array(info.sourceSize * info.targetSize);
    for (let r = 0; r < info.sourceSize; r++) {
      for (let c = 0; c < info.targetSize; c++) {
        const from = source(r, c);
        mask[r * info.targetSize + c] = from < 0 ? 1 : old[from]!;
      }
    }
    grown.setMask(block.name, mask);
  }
}

/**
 * Carries a parameter's values (or an optimizer slot shaped like it) into the
 * grown network's canonical layout. A kernel that neither computes nor reads
 * layer l keeps its layout; one that does goes through its fused
 * [rows, cols] matrix, where `fill` may set the new entries; vectors of
 * layer l are padded with `pad`.
 */
type Carrier = (name: string, values: Float32Array, fill?: (fused: Float32Array, target: number) => void, pad?: number) => Float32Array;

function carrier(spec: NetworkSpec, grownSpec: NetworkSpec, l: number, added: number): Carrier {
  const kernelOf = new Map(spec.kernels.map((kernel, k) => [spec.layers[kernel.target]!.name, k]));
  const remap = kernelRemaps(spec, l, added);
  const [oldLayouts, newLayouts] = [networkLayout(spec), networkLayout(grownSpec)];
  return (name, values, fill, pad = 0) => {
    const [target, kind] = [name.slice(0, name.lastIndexOf(".")), name.slice(name.lastIndexOf(".") + 1)];
    const k = kernelOf.get(target);
    // Not a dense kernel's (a conv's, a batch norm's, a recurrent layer's): its shape does not follow a dense layer's size.
    if (k === undefined) return Float32Array.from(values);
    const kernel = spec.kernels[k]!;
    if (kind !== "weight") return kernel.target === l ? padVector(values, added, pad) : Float32Array.from(values);
    const touched = kernel.target === l || kernel.blocks.some((b) => spec.blocks[b]!.source === l);
    if (!touched) return Float32Array.from(values);
    const fused = remap.get(kernel.target)!(toFused(oldLayouts[k]!, values), 0);
    fill?.(fused, kernel.target);
    return fromFused(newLayouts[k]!, fused);
  };
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
  // The kernel plan was made for the old sizes: the grown network is planned when it is built.
  const { plan: _plan, ...rest } = spec;
  return { ...rest, layers, blocks };
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
    k: number;
    l: number;
    spec: NetworkSpec;
    oldSize: number;
    added: number;
    split: readonly number[];
    mode: GrowNeuronsOptions["mode"];
    random: Random;
  },
): void {
  const activation = c.spec.activation;
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
 * variable and carried like its variable, new entries 0 (mask logits' too), in the grown model's
 * parameter order, which is the order `fit` hands variables to the optimizer.
 */
async function migrateOptimizer(optimizer: tf.Optimizer, model: Model, grown: Model, carry: Carrier, logits: LogitCarrier): Promise<void> {
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
      const fresh = new Float32Array(parameter.variable.size);
      const held = slot?.tensor.dataSync() as Float32Array | undefined;
      const values = held === undefined ? fresh : isMaskLogits(parameter.name) ? logits(parameter.name, held, fresh) : carry(parameter.name, held);
      migrated.push({ name: `${parameter.variable.name}/${suffix}`, tensor: tf.tensor(values, parameter.variable.shape) });
    }
  }
  await optimizer.setWeights([...(iterations ? [iterations] : []), ...migrated]);
  tf.dispose(migrated.map((m) => m.tensor));
}
