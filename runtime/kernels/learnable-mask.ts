/**
 * Learnable masks (deepstruct's `mask_as_params`): each connection has two
 * logits (keep, drop); softmax over them at a temperature gives the keep
 * probability p. The forward pass uses the hard mask [p > 0.5]; the gradient
 * passes straight through the hardening to p (the straight-through
 * estimator), so the logits learn while every forward pass, in training and
 * at inference alike, sees a binary mask.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";
import "../gradients.js";

const harden = tf.customGrad((p, save) => {
  void save;
  return { value: tf.cast(tf.greater(p as Tensor, 0.5), "float32"), gradFunc: (dy: Tensor) => [dy] };
});

/** Keep probabilities of logits shaped `[...shape, 2]` (keep, drop): shaped `shape`. */
export function keepProbability(logits: Tensor, temperature: number): Tensor {
  return tf.tidy(() => {
    const shape = logits.shape.slice(0, -1);
    const keep = tf.slice(tf.softmax(tf.div(logits, temperature)), new Array<number>(logits.rank).fill(0), [...shape, 1]);
    return tf.reshape(keep, shape);
  });
}

/**
 * The mask a kernel computes with, per connection: the static mask where a
 * connection does not learn (`flags` 0), the static mask times the hardened
 * keep probability where it does. All three share the weight's shape.
 */
export function learnedMask(staticMask: Tensor, logits: Tensor, flags: Tensor, temperature: number): Tensor {
  return tf.mul(staticMask, tf.add(tf.sub(1, flags), tf.mul(flags, hardKeep(logits, temperature))));
}

/** Initial logits of `count` connections for a keep probability k at temperature T: keep = T · ln(k / (1 − k)), drop = 0. */
export function initialLogits(count: number, keep: number, temperature: number): Float32Array {
  const k = Math.min(Math.max(keep, 1e-4), 1 - 1e-4);
  const values = new Float32Array(count * 2);
  const keepLogit = temperature * Math.log(k / (1 - k));
  for (let i = 0; i < count; i++) values[2 * i] = keepLogit;
  return values;
}

/** The hardened keep probability [p > 0.5] of logits `[...shape, 2]`, shaped `shape`, whose gradient reaches p straight through. */
export function hardKeep(logits: Tensor, temperature: number): Tensor {
  return harden(keepProbability(logits, temperature));
}
