/**
 * Batch normalisation over NHWC feature maps, per channel. Training
 * normalises by the batch's own mean and (biased) variance and moves the
 * running statistics towards them — running ← (1 − momentum) · running +
 * momentum · batch, with the unbiased variance, as PyTorch does; inference
 * normalises by the running statistics.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { NormStore } from "./store.js";

export function batchNorm(x: Tensor4D, store: NormStore, training: boolean): Tensor4D {
  const { momentum, epsilon } = store.layer;
  if (!training) {
    const scale = tf.mul(store.gain, tf.rsqrt(tf.add(store.variance, epsilon)));
    return tf.add(tf.mul(tf.sub(x, store.mean), scale), store.shift);
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  // The running statistics are state: nothing the loss depends on reads them, so no gradient flows through them.
  const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
  store.mean.assign(tf.add(tf.mul(store.mean, 1 - momentum), tf.mul(mean, momentum)));
  store.variance.assign(tf.add(tf.mul(store.variance, 1 - momentum), tf.mul(unbiased, momentum)));
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), store.gain), store.shift);
}
