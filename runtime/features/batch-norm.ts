/**
 * Batch normalisation over NHWC feature maps, per channel. Training
 * normalises by the batch's own mean and (biased) variance and moves the
 * running statistics towards them — running ← (1 − momentum) · running +
 * momentum · batch, with the unbiased variance, as PyTorch does; inference
 * normalises by the running statistics.
 *
 * The training pass has its gradient written out over the maps as an
 * [entries, channels] matrix, its per-channel sums as products with a row
 * of ones: TensorFlow.js's own gradient of `moments` reduces over the
 * leading axes with transposes, which made a training step on the WASM
 * backend about three times slower than the same network without batch norm.
 */
import * as tf from "@tensorflow/tfjs-core";
import "../gradients.js";
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { NormStore } from "./store.js";

type SaveFunction = (tensors: Tensor[]) => void;

/** Per-channel means of an [entries, channels] matrix, as [1, channels]. */
function channelMeans(ones: Tensor2D, values: Tensor2D): Tensor2D {
  return tf.div(tf.matMul(ones, values), values.shape[0]);
}

/** The batch's per-channel mean and unbiased variance, [channels] each, handed over to update the running statistics. */
export type BatchStatistics = (mean: Tensor1D, unbiased: Tensor1D) => void;

/** Training-mode batch norm of `x` with `gain` and `shift` for its channels; `record` receives the batch's statistics. */
export function trainingNorm(x: Tensor4D, gain: Tensor1D, shift: Tensor1D, epsilon: number, record: BatchStatistics): Tensor4D {
  const channels = x.shape[3];
  const count = x.size / channels;
  const ones = tf.ones([1, count]) as Tensor2D;
  const shape = x.shape;
  const op = tf.customGrad((input, gainArg, shiftArg, save) => {
    const flat = tf.reshape(input as Tensor, [count, channels]) as Tensor2D;
    const mean = channelMeans(ones, flat);
    const centered = tf.sub(flat, mean);
    const variance = channelMeans(ones, tf.square(centered) as Tensor2D);
    const inverse = tf.rsqrt(tf.add(variance, epsilon));
    const normalised = tf.mul(centered, inverse) as Tensor2D;
    // The running statistics are state: the loss never reads them, so they need no gradient.
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    record(tf.reshape(mean, [channels]), tf.reshape(unbiased, [channels]));
    (save as SaveFunction)([normalised, inverse, gainArg as Tensor, ones]);
    return {
      value: tf.reshape(tf.add(tf.mul(normalised, gainArg as Tensor1D), shiftArg as Tensor1D), shape),
      gradFunc: (dy, saved) => {
        const [xhat, inv, g, row] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor2D];
        const flatDy = tf.reshape(dy as Tensor, [count, channels]) as Tensor2D;
        const dShift = tf.matMul(row, flatDy);
        const dGain = tf.matMul(row, tf.mul(flatDy, xhat) as Tensor2D);
        // dx = γ / σ · (dy − mean(dy) − x̂ · mean(dy · x̂)).
        const inner = tf.sub(tf.sub(flatDy, tf.div(dShift, count)), tf.mul(xhat, tf.div(dGain, count)));
        const dx = tf.reshape(tf.mul(inner, tf.mul(inv, g)), shape);
        return [dx, tf.reshape(dGain, [channels]), tf.reshape(dShift, [channels])];
      },
    };
  });
  return op(x, gain, shift) as Tensor4D;
}

/** running ← (1 − momentum) · running + momentum · batch, for the store's mean and variance over all its channels. */
export function updateRunning(store: NormStore, mean: Tensor1D, unbiased: Tensor1D): void {
  const { momentum } = store.layer;
  store.mean.assign(tf.add(tf.mul(store.mean, 1 - momentum), tf.mul(mean, momentum)));
  store.variance.assign(tf.add(tf.mul(store.variance, 1 - momentum), tf.mul(unbiased, momentum)));
}

/** Inference-mode batch norm of `x` (any rank, channels last) with the running statistics `mean`, `variance` of its channels. */
export function inferenceNorm<T extends Tensor>(x: T, gain: Tensor1D, shift: Tensor1D, mean: Tensor1D, variance: Tensor1D, epsilon: number): T {
  const scale = tf.mul(gain, tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(tf.sub(x, mean), scale), shift) as T;
}

export function batchNorm(x: Tensor4D, store: NormStore, training: boolean): Tensor4D {
  const { epsilon } = store.layer;
  if (training) return trainingNorm(x, store.gain, store.shift, epsilon, (mean, unbiased) => updateRunning(store, mean, unbiased));
  return inferenceNorm(x, store.gain, store.shift, store.mean, store.variance, epsilon);
}
