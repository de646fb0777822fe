/**
 * Copies of a model's trainable values and masks, as plain arrays (no
 * tensors, so nothing to dispose): what early stopping keeps of the best
 * epoch, pruning of its rewind points, and training states carry.
 */
import * as tf from "@tensorflow/tfjs-core";
import { decodeMask, encodeMask, liveIndices } from "../masks/codec.js";
import type { Model } from "../model.js";
import { prunableWeights } from "../pruning/weights.js";
import type { ModelSnapshot, SavedArray } from "./options.js";

/** `values` (one array per parameter, in `model.parameters` order) named and shaped as the model's parameters. */
export function savedParameters(model: Model, values?: readonly Float32Array[]): SavedArray[] {
  return model.parameters.map((p, i) => ({
    name: p.name,
    shape: [...p.variable.shape],
    values: Float32Array.from(values === undefined ? (p.variable.dataSync() as Float32Array) : values[i]!),
  }));
}

/** Saved parameters' values in `model.parameters` order, checked name by name and length by length. */
export function parameterValues(model: Model, saved: readonly SavedArray[], what: string): Float32Array[] {
  if (!Array.isArray(saved) || saved.length !== model.parameters.length) {
    throw new Error(`${what} holds ${Array.isArray(saved) ? saved.length : "no list of"} parameters; the model has ${model.parameters.length}`);
  }
  return model.parameters.map((p, i) => {
    const s = saved[i] as SavedArray;
    if (s?.name !== p.name || !(s.values instanceof Float32Array) || s.values.length !== p.variable.size) {
      throw new Error(`${what}: parameter ${i} is '${String(s?.name)}' with ${s?.values?.length ?? 0} values; the model's is '${p.name}' with ${p.variable.size}`);
    }
    return Float32Array.from(s.values);
  });
}

/** Writes values (in `model.parameters` order) into the model's variables. */
export function assignParameters(model: Model, values: readonly Float32Array[]): void {
  model.parameters.forEach((p, i) => {
    const next = tf.tensor(values[i]!, p.variable.shape, "float32");
    p.variable.assign(next);
    next.dispose();
  });
}

/** Masks of every prunable weight (dense blocks, convs, recurrent weights): growth and pruning change them all. */
export function takeSnapshot(model: Model): ModelSnapshot {
  return {
    parameters: savedParameters(model),
    masks: prunableWeights(model).map((w) => ({ block: w.name, mask: encodeMask(w.size, liveIndices(model.getMask(w.name))) })),
  };
}

/**
 * Puts a snapshot back: every parameter, then the masks of blocks whose mask
 * differs from the snapshot's (with learnable masks the parameters already
 * bring back the learned part; only a static mask changed since, e.g. by
 * pruning, needs setting). @throws Error naming what does not fit.
 */
export function restoreSnapshot(model: Model, snapshot: ModelSnapshot, what: string): void {
  const values = parameterValues(model, snapshot.parameters, what);
  const saved = new Map((Array.isArray(snapshot.masks) ? snapshot.masks : []).map((m) => [m.block, m.mask]));
  // A snapshot taken before conv and recurrent masks were kept has only the blocks': those weights keep their masks.
  const masks = prunableWeights(model).flatMap((w) => {
    const mask = saved.get(w.name);
    if (typeof mask !== "string") {
      if (w.kind === "dense") throw new Error(`${what} has no mask for block '${w.name}'`);
      return [];
    }
    return [{ name: w.name, mask: decodeMask(mask, w.size) }];
  });
  assignParameters(model, values);
  for (const { name, mask } of masks) {
    const now = model.getMask(name);
    if (now.some((m, j) => m !== mask[j])) model.setMask(name, mask);
  }
}
