/**
 * A kernel's per-connection values as the [used rows, cols] matrix a dense
 * product multiplies: the dense binding's view of canonical storage (see
 * storage/layout.ts). A full kernel is its own view and a kernel whose used
 * rows are complete is stored as that matrix too (see storage/layout.ts);
 * any other is a scatter, whose gradient gathers the matrix's gradient back
 * to the connections.
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
  const positions: Tensor1D = tf.tensor1d(
    Int32Array.from(targets, (t, e) => packedRow[rows[e]!]! * layout.cols + t),
    "int32",
  );
  const indices = tf.reshape(positions, [layout.count, 1]);
  const scatter = tf.customGrad((values) => ({
    value: tf.reshape(tf.scatterND(indices, values as Tensor, [size]), shape),
    gradFunc: (dy: Tensor) => tf.gather(tf.reshape(dy, [size]), positions),
  }));
  return Object.assign((values: Tensor) => scatter(values) as Tensor2D, { dispose: () => tf.dispose([positions, indices]) });
}
