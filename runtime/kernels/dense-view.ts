/**
 * A kernel's per-connection values as the [used rows, cols] matrix a dense
 * product multiplies: the dense binding's view of canonical storage (see
 * storage/layout.ts). A full kernel is its own view and a kernel whose used
 * rows are complete is stored as that matrix too (see storage/layout.ts);
 * any other is laid out by a gather from the connections (an empty entry
 * reads an appended zero), whose gradient gathers the matrix's gradient back
 * to the connections. Gathers, not a scatter: TensorFlow.js's webgl
 * ScatterNd visits every (entry, connection) pair, which made one training
 * step of examples/web take 45 s on SwiftShader's WebGL, 55 of its 56 s of
 * kernel time in ScatterNd; a gather costs one read per entry everywhere.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { KernelLayout } from "../storage/layout.js";

export interface DenseView {
  /** `values` (shaped like the kernel's weight) as [used rows, cols]. */
  (values: Tensor): Tensor2D;
  dispose(): void;
}

export function denseView(layout: KernelLayout): DenseView {
  const shape: [number, number] = [layout.usedRows.length, layout.cols];
  if (layout.shape.length === 2) return Object.assign((values: Tensor) => values as Tensor2D, { dispose: () => undefined });
  const packedRow = new Int32Array(layout.rows).fill(-1);
  layout.usedRows.forEach((row, p) => (packedRow[row] = p));
  const { rows, targets } = layout.edges();
  const size = shape[0] * shape[1];
  const entries = Int32Array.from(targets, (t, e) => packedRow[rows[e]!]! * layout.cols + t);
  const positions: Tensor1D = tf.tensor1d(entries, "int32");
  // Per matrix entry, the connection it holds, or `count` (the appended zero).
  const holder = new Int32Array(size).fill(layout.count);
  entries.forEach((position, e) => (holder[position] = e));
  const sources: Tensor1D = tf.tensor1d(holder, "int32");
  const place = tf.customGrad((values) => ({
    value: tf.reshape(tf.gather(tf.concat1d([tf.reshape(values as Tensor, [layout.count]) as Tensor1D, tf.zeros([1])]), sources), shape),
    gradFunc: (dy: Tensor) => tf.reshape(tf.gather(tf.reshape(dy, [size]), positions), (values as Tensor).shape),
  }));
  return Object.assign((values: Tensor) => place(values) as Tensor2D, { dispose: () => tf.dispose([positions, sources]) });
}
