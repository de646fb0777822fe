/**
 * Losses and metrics over a batch of logits. Targets are either class
 * indices (int32 `[batch]`) or rows of width `outputSize` (float32
 * `[batch, outputSize]`: one-hot or soft labels for cross-entropy, values for
 * mean squared error).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Scalar, Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import { fusedSoftmaxCrossEntropy } from "./softmax-cross-entropy.js";

export type LossName = "crossEntropy" | "mse";

export const LOSSES: readonly LossName[] = ["crossEntropy", "mse"];

/** Mean loss over the batch. */
export function loss(name: LossName, logits: Tensor2D, targets: Tensor): Scalar {
  const outputSize = logits.shape[1];
  const rows = targets.rank === 1 ? tf.oneHot(tf.cast(targets, "int32"), outputSize) : targets;
  switch (name) {
    case "crossEntropy":
      // One kernel (loss and gradient) on wasm and cpu; the composed ops elsewhere.
      return fusedSoftmaxCrossEntropy(logits, rows as Tensor2D) ?? tf.mean(tf.neg(tf.sum(tf.mul(rows, tf.logSoftmax(logits)), 1)));
    case "mse":
      return tf.mean(tf.square(tf.sub(logits, rows)));
  }
}

/** The number of samples whose largest logit is at the target class (the row's largest entry for rows). */
export function correctCount(logits: Tensor2D, targets: Tensor): Scalar {
  const predicted = tf.argMax(logits, 1);
  const actual = targets.rank === 1 ? tf.cast(targets, "int32") : tf.argMax(targets, 1);
  return tf.sum(tf.cast(tf.equal(predicted, actual), "int32"));
}
