/**
 * Layer normalisation over a layer's neurons (axis 1 of `[batch, size]`):
 * `(x - mean) / sqrt(variance + epsilon) · gain + shift`, with the biased
 * (population) variance.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";

export const LAYER_NORM_EPSILON = 1e-5;

export function layerNorm(x: Tensor2D, gain: Tensor1D, shift: Tensor1D, epsilon: number = LAYER_NORM_EPSILON): Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 1, true);
    const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normalised, gain), shift);
  });
}
