/**
 * Learnable masks (deepstruct's `mask_as_params`): each connection has two
 * logits (keep, drop); softmax over them at a temperature gives the keep
 * probability p. The forward pass uses the hard mask [p > 0.5]; the gradient
 * passes straight through the hardening to p (the straight-through
 * estimator), so the logits learn while every forward pass, in training and
 * at inference alike, sees a binary mask.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor3D } from "@tensorflow/tfjs-core";
import "../gradients.js";

const harden = tf.customGrad((p, save) => {
  void save;
  return { value: tf.cast(tf.greater(p as Tensor, 0.5), "float32"), gradFunc: (dy: Tensor) => [dy] };
});

/** Keep probabilities `[rows, cols]` of logits `[rows, cols, 2]` (keep, drop). */
export function keepProbability(logits: Tensor3D, temperature: number): Tensor2D {
  return tf.tidy(() => {
    const [rows, cols] = logits.shape;
    return tf.reshape(tf.slice(tf.softmax(tf.div(logits, temperature)), [0, 0, 0], [rows, cols, 1]), [rows, cols]) as Tensor2D;
  });
}

/**
 * The mask a kernel computes with: the static mask where rows are not
 * learnable (`learnableRows` 0), the static mask times the hardened keep
 * probability where they are.
 */
export function learnedMask(staticMask: Tensor2D, logits: Tensor3D, learnableRows: Tensor2D, temperature: number): Tensor2D {
  const hard = harden(keepProbability(logits, temperature)) as Tensor2D;
  return tf.mul(staticMask, tf.add(tf.sub(1, learnableRows), tf.mul(learnableRows, hard)));
}

/** Initial logits for a keep probability k at temperature T: keep = T · ln(k / (1 − k)), drop = 0. */
export function initialLogits(rows: number, cols: number, keep: number, temperature: number): Float32Array {
  const k = Math.min(Math.max(keep, 1e-4), 1 - 1e-4);
  const values = new Float32Array(rows * cols * 2);
  const keepLogit = temperature * Math.log(k / (1 - k));
  for (let i = 0; i < rows * cols; i++) values[2 * i] = keepLogit;
  return values;
}
