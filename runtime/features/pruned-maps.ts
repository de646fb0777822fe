/**
 * Feature maps of a network with pruned output channels, kept without the
 * pruned channels. A conv's output channel whose weights are all masked is
 * its bias alone, the same at every position; batch norm, the activation
 * and pooling keep a channel that is the same everywhere the same
 * everywhere (max and average pooling of a constant are that constant, with
 * or without padding, as TensorFlow.js pools ignore padded entries). So a
 * map is its live channels, computed, and one number per pruned channel.
 *
 * A cell network's concatenation zero-pads smaller maps at the bottom and
 * right: a pruned channel so padded is no longer the same everywhere, but
 * it is still the same for every sample. Then the pruned channels are kept
 * as one map [1, height, width, pruned] for the whole batch, which batch
 * norm, the activation and pooling carry on as a batch of one (batch norm's
 * statistics over it are the batch's: every sample holds the same values).
 *
 * The next conv reads the live channels through its filters' live slice;
 * the pruned channels' contribution does not depend on the sample, so it is
 * computed once and added to the whole batch where the bias is
 * (constant-inputs.ts). Only the flattened output puts the channels back in
 * order. Everything is TensorFlow.js ops, so the gradients are those of the
 * network with the pruned weights zeroed.
 *
 * What depends on the parameters alone (filter slices, that contribution,
 * the pruned channels' constants, inference batch norm's folded scale and
 * shift) is remembered between passes while no gradient is recorded
 * (remembered.ts), so an inference pass computes only the live channels.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { activate } from "../activations.js";
import { maskedConv2d, type ConvGeometry } from "../kernels/conv/masked-conv.js";
import { constantProduct, gatherChannels, pick } from "./channel-picks.js";
import { filters, liveOffset, onesLike } from "./constant-inputs.js";
import type { ActivationName } from "../spec.js";
import { inferenceNorm, trainingNorm, updateRunning } from "./batch-norm.js";
import { foldedNorm } from "./norm-fold.js";
import { remembered, rememberedConstant } from "./remembered.js";
import type { ConvStore, NormStore } from "./store.js";

export interface PrunedMaps {
  /** [batch, height, width, live channels]: the channels `live` names, in that order. */
  readonly values: Tensor4D;
  readonly live: readonly number[];
  readonly pruned: readonly number[];
  /**
   * The pruned channels' values, the same for every sample: [1, 1, 1, pruned]
   * when each is the same at every position too (`constants[k]` is channel
   * `pruned[k]`'s value), else [1, height, width, pruned].
   */
  readonly constants: Tensor4D;
}

/** `maps` with every channel live: where a pruned stack starts. */
export function fullMaps(maps: Tensor4D): PrunedMaps {
  return { values: maps, live: Array.from({ length: maps.shape[3] }, (_, c) => c), pruned: [], constants: tf.zeros([1, 1, 1, 0]) };
}

/** One value per channel as constants the same at every position. */
function uniform(values: Tensor1D): Tensor4D {
  return tf.reshape(values, [1, 1, 1, values.shape[0]]);
}

/** Whether the pruned channels are each the same at every position. */
export function isUniform(x: PrunedMaps): boolean {
  return x.constants.shape[1] === 1 && x.constants.shape[2] === 1;
}

/** Channel c's position in the concatenation of the live channels and then the pruned ones. */
function positions(live: readonly number[], pruned: readonly number[]): number[] {
  const position = new Array<number>(live.length + pruned.length);
  live.forEach((c, k) => (position[c] = k));
  pruned.forEach((c, k) => (position[c] = live.length + k));
  return position;
}

/** A conv's output channels other than `liveOut`, and their values: its bias, the same everywhere (remembered by the store). */
export function biasConstants(store: ConvStore, liveOut: readonly number[]): Pick<PrunedMaps, "pruned" | "constants"> {
  const liveSet = new Set(liveOut);
  const pruned = Array.from({ length: store.layer.channels }, (_, c) => c).filter((c) => !liveSet.has(c));
  const constants =
    pruned.length === 0 ? tf.zeros([1, 1, 1, 0]) : remembered(store, "constants", [store.bias, pruned.join()], () => uniform(gatherChannels(store.bias, pruned, store, "pruned")));
  return { pruned, constants: constants as Tensor4D };
}

/**
 * The conv over a pruned map (or a full one: `x` with every channel live),
 * computing only its `liveOut` output channels; the others are its bias.
 * Its filters are its masked weight's live slice, handed over with a mask
 * of ones: one gather per slice where weight and mask took one each.
 * `relu`: the live channels come out through relu (the constants do not:
 * prunedActivation's `valuesDone`).
 */
export function prunedConv(x: PrunedMaps, store: ConvStore, geometry: ConvGeometry, liveOut: readonly number[], inputNeedsGradient: boolean, relu = false): PrunedMaps {
  const sliced = filters(store, x.live, liveOut, "live filters");
  const offset = liveOffset(x.values, x.pruned, x.constants, store, geometry, liveOut);
  const values = maskedConv2d(x.values, sliced, onesLike(store, sliced, "live filters"), offset, geometry, { inputNeedsGradient, relu });
  return { values, live: liveOut, ...biasConstants(store, liveOut) };
}

/**
 * The pruned channels' batch statistics: their map's, as every sample holds
 * the same values; the unbiased variance counts every sample's positions.
 * Constants the same everywhere are their own mean, with variance 0.
 */
function constantStatistics(constants: Tensor4D, batch: number): { mean: Tensor1D; variance: Tensor1D; unbiased: Tensor1D } {
  const pruned = constants.shape[3];
  if (constants.shape[1] === 1 && constants.shape[2] === 1) {
    const zero = tf.zeros([pruned]) as Tensor1D;
    return { mean: tf.reshape(constants, [pruned]), variance: zero, unbiased: zero };
  }
  const count = batch * constants.shape[1] * constants.shape[2];
  const { mean, variance } = tf.moments(constants, [0, 1, 2]) as { mean: Tensor1D; variance: Tensor1D };
  return { mean, variance, unbiased: count > 1 ? tf.mul(variance, count / (count - 1)) : variance };
}

/**
 * The pruned channels after a training-mode norm with `stats` their own
 * statistics. One the same everywhere is its mean, so normalised it is 0
 * and the norm gives its shift, whose gradient is all there is (none goes
 * back to the constant: exactly the zeroed network's); a padded one is
 * normalised by its map's statistics.
 */
function trainingConstants(x: PrunedMaps, store: NormStore, stats: { mean: Tensor1D; variance: Tensor1D }): Tensor4D {
  const shift = gatherChannels(store.shift, x.pruned, store, "pruned");
  if (isUniform(x)) return uniform(shift);
  return inferenceNorm(x.constants, gatherChannels(store.gain, x.pruned, store, "pruned"), shift, stats.mean, stats.variance, store.layer.epsilon);
}

/** The pruned channels' constants through inference batch norm (folded as foldedNorm gives it), remembered while the parameters and constants stay. */
export function normedConstants(x: PrunedMaps, store: NormStore): Tensor4D {
  if (x.pruned.length === 0) return x.constants;
  const from = [store.gain, store.shift, store.mean, store.variance, x.constants, x.pruned.join()];
  return remembered(store, "constants", from, () => {
    const { scale, offset } = foldedNorm(store, x.pruned, "pruned");
    return tf.add(tf.mul(x.constants, scale), offset) as Tensor4D;
  });
}

/** Inference batch norm folded to x · scale + offset (norm-fold.ts): two kernels per part and no gathers. */
function inferencePrunedNorm(x: PrunedMaps, store: NormStore): PrunedMaps {
  const { scale, offset } = foldedNorm(store, x.live, "live");
  return { ...x, values: tf.add(tf.mul(x.values, scale), offset) as Tensor4D, constants: normedConstants(x, store) };
}

/** Batch norm over a pruned map; in training the pruned channels are normalised by their own statistics (a constant one to its shift). */
export function prunedNorm(x: PrunedMaps, store: NormStore, training: boolean): PrunedMaps {
  const { epsilon } = store.layer;
  if (!training) return inferencePrunedNorm(x, store);
  const [gain, shift] = [pick(store.gain, x.live, store, "live"), pick(store.shift, x.live, store, "live")];
  if (x.pruned.length === 0) return { ...x, values: trainingNorm(x.values, gain, shift, epsilon, (mean, unbiased) => updateRunning(store, mean, unbiased)) };
  const stats = constantStatistics(x.constants, x.values.shape[0]);
  const order = positions(x.live, x.pruned);
  const all = (live: Tensor1D, prunedPart: Tensor1D): Tensor1D => tf.gather(tf.concat([live, prunedPart]), order);
  const values = trainingNorm(x.values, gain, shift, epsilon, (mean, unbiased) => updateRunning(store, all(mean, stats.mean), all(unbiased, stats.unbiased)));
  const constants = trainingConstants(x, store, stats);
  return { ...x, values, constants };
}

/** A pooling of the live channels; pruned ones the same everywhere stay as they are, pruned maps are pooled alike (remembered by `owner`, the pool's store). */
export function prunedPool(x: PrunedMaps, poolMaps: (maps: Tensor4D) => Tensor4D, owner: object): PrunedMaps {
  const constants = isUniform(x) ? x.constants : remembered(owner, "pooled", [x.constants], () => poolMaps(x.constants));
  return { ...x, values: poolMaps(x.values), constants };
}

/** The activation of the live channels (unless `valuesDone`: the conv applied it) and of the constants (remembered by `owner`, the store that activates). */
export function prunedActivation(x: PrunedMaps, activation: ActivationName, owner: object, valuesDone = false): PrunedMaps {
  const constants = x.pruned.length === 0 ? x.constants : remembered(owner, "activated", [x.constants, activation], () => activate(activation, x.constants));
  return { ...x, values: valuesDone ? x.values : activate(activation, x.values), constants };
}

/** The 0/1 matrix [indices, channels] that puts column k of its left operand at channel indices[k]. */
function placement(indices: readonly number[], channels: number): Tensor2D {
  const values = new Float32Array(indices.length * channels);
  indices.forEach((c, k) => (values[k * channels + c] = 1));
  return tf.tensor2d(values, [indices.length, channels]);
}

/**
 * The flattened channels-first features [batch, channels · height · width],
 * channels back in order. The live channels are placed by a product with a
 * 0/1 matrix (exact: each output is one value times 1 plus zeros), the pruned
 * ones added as a row of their constants: a last-axis gather, the obvious
 * way, took longer on WASM than the convolutions it followed.
 */
export function flattenChannelsFirst(x: PrunedMaps, owner: object): Tensor2D {
  const [batch, height, width, liveCount] = x.values.shape;
  const channels = liveCount + x.pruned.length;
  let maps = x.values;
  if (x.pruned.length > 0) {
    const livePlacement = rememberedConstant(owner, "live placement", [x.live.join(), channels], () => placement(x.live, channels));
    const placed = constantProduct(tf.reshape(x.values, [batch * height * width, liveCount]) as Tensor2D, livePlacement);
    // [positions, channels]: one row added to every position, or (a padded map) a row per position, added to every sample.
    const [, rows, cols] = x.constants.shape;
    const constants = remembered(owner, "placed constants", [x.constants, x.pruned.join(), channels], () =>
      tf.matMul(tf.reshape(x.constants, [rows * cols, x.pruned.length]) as Tensor2D, placement(x.pruned, channels)),
    );
    maps = tf.reshape(tf.add(tf.reshape(placed, [batch, height * width, channels]), constants), [batch, height, width, channels]);
  }
  return tf.reshape(tf.transpose(maps, [0, 3, 1, 2]), [batch, channels * height * width]);
}
