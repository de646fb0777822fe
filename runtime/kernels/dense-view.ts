/**
 * A kernel's per-connection values as the [used rows, cols] matrix a dense
 * product multiplies: the dense binding's view of canonical storage (see
 * storage/layout.ts). A full kernel is its own view and a kernel whose used
 * rows are complete is stored as that matrix too (see storage/layout.ts);
 * any other is placed into the matrix, and the matrix's gradient gathered
 * back to the connections. Placing is a scatter, or on webgl a gather from
 * the connections (an empty entry reads an appended zero): TensorFlow.js's
 * webgl ScatterNd visits every (entry, connection) pair, which made one
 * training step of examples/web take 45 s on SwiftShader's WebGL (55 of its
 * 56 s of kernel time), while on wasm its gather of a 1024 × 1024 matrix
 * takes 72 ms against the scatter's 8 ms.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { KernelLayout } from "../storage/layout.js";

export interface DenseView {
  /** `values` (shaped like the kernel's weight) as [used rows, cols]. */
  (values: Tensor): Tensor2D;
  dispose(): void;
}

/** How a view places connections into the matrix: `scatter` (wasm, cpu, webgpu) or `gather` (webgl). */
export type Placement = "scatter" | "gather";

export function denseView(layout: KernelLayout, placement: Placement = "scatter"): DenseView {
  const shape: [number, number] = [layout.usedRows.length, layout.cols];
  if (layout.shape.length === 2) return Object.assign((values: Tensor) => values as Tensor2D, { dispose: () => undefined });
  const packedRow = new Int32Array(layout.rows).fill(-1);
  layout.usedRows.forEach((row, p) => (packedRow[row] = p));
  const { rows, targets } = layout.edges();
  const size = shape[0] * shape[1];
  const entries = Int32Array.from(targets, (t, e) => packedRow[rows[e]!]! * layout.cols + t);
  const positions: Tensor1D = tf.tensor1d(entries, "int32");
  const index = placement === "scatter" ? tf.reshape(positions, [layout.count, 1]) : tf.tensor1d(holders(entries, size), "int32");
  const flat = (values: Tensor): Tensor1D => tf.reshape(values, [layout.count]);
  const placed = (values: Tensor): Tensor =>
    placement === "scatter" ? tf.scatterND(index, flat(values), [size]) : tf.gather(tf.concat1d([flat(values), tf.zeros([1])]), index as Tensor1D);
  const place = tf.customGrad((values) => ({
    value: tf.reshape(placed(values as Tensor), shape),
    gradFunc: (dy: Tensor) => tf.gather(tf.reshape(dy, [size]), positions),
  }));
  return Object.assign((values: Tensor) => place(values) as Tensor2D, { dispose: () => tf.dispose([positions, index]) });
}

/** Per matrix entry, the connection it holds, or the connection count (the appended zero). */
function holders(entries: Int32Array, size: number): Int32Array {
  const holder = new Int32Array(size).fill(entries.length);
  entries.forEach((position, e) => (holder[position] = e));
  return holder;
}
