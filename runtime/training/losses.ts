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

/** Target rows: class indices as one-hot rows of the logits' width, rows as they are. */
const rowsOf = (logits: Tensor2D, targets: Tensor): Tensor => (targets.rank === 1 ? tf.oneHot(tf.cast(targets, "int32"), logits.shape[1]) : targets);

/** Mean loss over the batch. */
export function loss(name: LossName, logits: Tensor2D, targets: Tensor): Scalar {
  switch (name) {
    case "crossEntropy":
      // One kernel (loss and gradient, class indices read as they are) on wasm and cpu; the composed ops elsewhere.
      return fusedSoftmaxCrossEntropy(logits, targets)?.loss ?? composedCrossEntropy(logits, rowsOf(logits, targets));
    case "mse":
      return tf.mean(tf.square(tf.sub(logits, rowsOf(logits, targets))));
  }
}

const composedCrossEntropy = (logits: Tensor2D, rows: Tensor): Scalar => tf.mean(tf.neg(tf.sum(tf.mul(rows, tf.logSoftmax(logits)), 1)));

/** The number of samples whose largest logit is at the target class (the row's largest entry for rows). */
export function correctCount(logits: Tensor2D, targets: Tensor): Scalar {
  const predicted = tf.argMax(logits, 1);
  const actual = targets.rank === 1 ? tf.cast(targets, "int32") : tf.argMax(targets, 1);
  return tf.sum(tf.cast(tf.equal(predicted, actual), "int32"));
}

/**
 * The mean loss and, for cross-entropy, the number of correct predictions
 * (int32, no gradient), as a training step wants both: on wasm and cpu one
 * kernel computes them in one pass (the count in place of correctCount's five
 * kernels a step). The count is kept past any `tf.tidy`: the caller disposes it.
 */
export function lossAndCorrect(name: LossName, logits: Tensor2D, targets: Tensor): { loss: Scalar; correct: Scalar | undefined } {
  if (name !== "crossEntropy") return { loss: loss(name, logits, targets), correct: undefined };
  const fused = fusedSoftmaxCrossEntropy(logits, targets, true);
  if (fused !== undefined) return fused;
  return { loss: composedCrossEntropy(logits, rowsOf(logits, targets)), correct: tf.keep(correctCount(logits, targets)) };
}
