/**
 * Picking channels (the last axis, or another one) by a list of distinct indices, with a
 * gradient every backend can run: TensorFlow.js's gather gradient needs
 * UnsortedSegmentSum, which the WASM backend lacks. As the indices are
 * distinct, the gradient is itself a gather: each source channel takes its
 * picked position's gradient, or a zero column if it was not picked.
 */
import * as tf from "@tensorflow/tfjs-core";
import "../../gradients.js";
import type { Tensor } from "@tensorflow/tfjs-core";

/** `t[..., indices]` for distinct `indices` in [0, t's last dimension), or along `axis`. */
export function pickChannels<T extends Tensor>(t: T, indices: readonly number[], axis: number = t.rank - 1): T {
  const size = t.shape[axis]!;
  // Where each source channel went: its position among the picked, or the zero column after them.
  const inverse = new Int32Array(size).fill(indices.length);
  indices.forEach((c, k) => (inverse[c] = k));
  const op = tf.customGrad((x, save) => {
    void save;
    return {
      value: tf.gather(x as Tensor, tf.tensor1d(Int32Array.from(indices), "int32"), axis),
      gradFunc: (dy) => {
        const g = dy as Tensor;
        const zeroShape = g.shape.map((extent, k) => (k === axis ? 1 : extent));
        const padded = tf.concat([g, tf.zeros(zeroShape)], axis);
        return [tf.gather(padded, tf.tensor1d(inverse, "int32"), axis)];
      },
    };
  });
  return op(t) as T;
}
