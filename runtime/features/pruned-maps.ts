/**
 * Feature maps of a network with pruned output channels, kept without the
 * pruned channels. A conv's output channel whose weights are all masked is
 * its bias alone, the same at every position; batch norm, the activation
 * and pooling keep a channel that is the same everywhere the same
 * everywhere (max and average pooling of a constant are that constant, with
 * or without padding, as TensorFlow.js pools ignore padded entries). So a
 * map is its live channels, computed, and one number per pruned channel.
 *
 * The next conv reads the live channels through its filters' live slice;
 * the pruned channels' contribution does not depend on the sample, so it is
 * one convolution of a single constant map (the padding makes it differ at
 * the borders), added to the whole batch. Only the flattened output puts
 * the channels back in order. Everything is TensorFlow.js ops, so the
 * gradients are those of the network with the pruned weights zeroed.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { activate } from "../activations.js";
import { pickChannels } from "../kernels/conv/channels.js";
import { maskedConv2d, type ConvGeometry } from "../kernels/conv/masked-conv.js";
import type { ActivationName } from "../spec.js";
import { inferenceNorm, trainingNorm, updateRunning } from "./batch-norm.js";
import type { ConvStore, NormStore } from "./store.js";

export interface PrunedMaps {
  /** [batch, height, width, live channels]: the channels `live` names, in that order. */
  readonly values: Tensor4D;
  readonly live: readonly number[];
  /** The pruned channels, each the same at every position: `constants[k]` is channel `pruned[k]`'s value. */
  readonly pruned: readonly number[];
  readonly constants: Tensor1D;
}

/** `t` along `axis` at `indices`, or `t` itself when they are all its channels in order. */
function pick<T extends tf.Tensor>(t: T, indices: readonly number[], axis: number = t.rank - 1): T {
  const whole = indices.length === t.shape[axis] && indices.every((c, k) => c === k);
  return whole ? t : pickChannels(t, indices, axis);
}

/** Channel c's position in the concatenation of the live channels and then the pruned ones. */
function positions(live: readonly number[], pruned: readonly number[]): number[] {
  const position = new Array<number>(live.length + pruned.length);
  live.forEach((c, k) => (position[c] = k));
  pruned.forEach((c, k) => (position[c] = live.length + k));
  return position;
}

/**
 * The conv over a pruned map (or a full one: `x` with every channel live),
 * computing only its `liveOut` output channels; the others are its bias.
 */
export function prunedConv(x: PrunedMaps, store: ConvStore, geometry: ConvGeometry, liveOut: readonly number[], inputNeedsGradient: boolean): PrunedMaps {
  const channels = store.layer.channels;
  const liveSet = new Set(liveOut);
  const pruned = Array.from({ length: channels }, (_, c) => c).filter((c) => !liveSet.has(c));
  const slice = (t: Tensor4D, inputs: readonly number[]): Tensor4D => pick(pick(t, liveOut, 3), inputs, 2);
  let values = maskedConv2d(x.values, slice(store.weight, x.live), slice(store.mask, x.live), pick(store.bias, liveOut), geometry, {
    inputNeedsGradient,
  });
  if (x.pruned.length > 0) {
    const [, height, width] = x.values.shape;
    const constant = tf.mul(tf.ones([1, height, width, x.pruned.length]), x.constants) as Tensor4D;
    const noBias = tf.zeros([liveOut.length]) as Tensor1D;
    const fromPruned = maskedConv2d(constant, slice(store.weight, x.pruned), slice(store.mask, x.pruned), noBias, geometry, { inputNeedsGradient: true });
    values = tf.add(values, fromPruned);
  }
  return { values, live: liveOut, pruned, constants: pruned.length === 0 ? tf.zeros([0]) : pickChannels(store.bias, pruned) };
}

/** Batch norm over a pruned map; in training a pruned channel's batch mean is its value and its variance 0. */
export function prunedNorm(x: PrunedMaps, store: NormStore, training: boolean): PrunedMaps {
  const { epsilon } = store.layer;
  const withConstants = (constants: () => Tensor1D): Tensor1D => (x.pruned.length === 0 ? x.constants : constants());
  if (!training) {
    const norm = (t: tf.Tensor, channels: readonly number[]): tf.Tensor =>
      inferenceNorm(t, pick(store.gain, channels), pick(store.shift, channels), pick(store.mean, channels), pick(store.variance, channels), epsilon);
    return { ...x, values: norm(x.values, x.live) as Tensor4D, constants: withConstants(() => norm(x.constants, x.pruned) as Tensor1D) };
  }
  const order = positions(x.live, x.pruned);
  const values = trainingNorm(x.values, pick(store.gain, x.live), pick(store.shift, x.live), epsilon, (mean, unbiased) => {
    if (x.pruned.length === 0) return updateRunning(store, mean, unbiased);
    const all = (live: Tensor1D, prunedPart: Tensor1D): Tensor1D => tf.gather(tf.concat([live, prunedPart]), order);
    updateRunning(store, all(mean, x.constants), all(unbiased, tf.zeros([x.pruned.length])));
  });
  // (c − c) / √(0 + ε) · γ + β: a constant channel normalises to its shift.
  return { ...x, values, constants: withConstants(() => pickChannels(store.shift, x.pruned)) };
}

/** A pooling of the live channels; the pruned ones, constant, stay as they are. */
export function prunedPool(x: PrunedMaps, poolMaps: (maps: Tensor4D) => Tensor4D): PrunedMaps {
  return { ...x, values: poolMaps(x.values) };
}

export function prunedActivation(x: PrunedMaps, activation: ActivationName): PrunedMaps {
  return { ...x, values: activate(activation, x.values), constants: activate(activation, x.constants) };
}

/**
 * The flattened channels-first features [batch, channels · height · width],
 * channels back in order: picked along the channel axis after the transpose,
 * so each pick moves a whole height × width plane.
 */
export function flattenChannelsFirst(x: PrunedMaps): Tensor2D {
  const [batch, height, width, liveCount] = x.values.shape;
  const planes = height * width;
  const live = tf.reshape(tf.transpose(x.values, [0, 3, 1, 2]), [batch, liveCount, planes]) as Tensor3D;
  const channels = liveCount + x.pruned.length;
  if (x.pruned.length === 0) return tf.reshape(live, [batch, channels * planes]);
  const constant = tf.mul(tf.ones([batch, x.pruned.length, planes]), tf.reshape(x.constants, [1, x.pruned.length, 1])) as Tensor3D;
  const ordered = pickChannels(tf.concat3d([live, constant], 1), positions(x.live, x.pruned), 1);
  return tf.reshape(ordered, [batch, channels * planes]);
}
