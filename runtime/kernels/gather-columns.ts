/**
 * x[:, indices] with its own gradient: TensorFlow.js differentiates a gather
 * with UnsortedSegmentSum, which the WASM backend does not have, so the
 * gradient is written as a scatter-sum of the transposed upstream gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import "../gradients.js";

export interface ColumnPick {
  readonly indices: Tensor1D;
  /** The same indices as [k, 1], the shape scatterND takes. */
  readonly slots: Tensor2D;
}

export function columnPick(indices: readonly number[]): ColumnPick {
  const values = Int32Array.from(indices);
  return { indices: tf.tensor1d(values, "int32"), slots: tf.tensor2d(values, [values.length, 1], "int32") };
}

export function gatherColumns(x: Tensor2D, pick: ColumnPick): Tensor2D {
  const [batch, columns] = x.shape;
  const op = tf.customGrad((input) => ({
    value: tf.gather(input as Tensor2D, pick.indices, 1) as Tensor2D,
    gradFunc: (dy: Tensor) => tf.transpose(tf.scatterND(pick.slots, tf.transpose(dy), [columns, batch])),
  }));
  return op(x) as Tensor2D;
}
