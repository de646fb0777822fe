/**
 * x[:, indices]: the columns a kernel multiplies, picked from its sources laid
 * side by side. Written on graph.wat with its own gradient (a scatter-add of
 * the columns): TensorFlow.js's gather along columns runs at about 40 ns per
 * element on WASM, and its gradient needs UnsortedSegmentSum, which the WASM
 * backend does not have.
 *
 * Where graph.wat cannot run on the current backend (see
 * `graphKernelSupport`: another backend than WASM or CPU, or an engine
 * without WebAssembly SIMD), the columns are picked by TensorFlow.js's own
 * gather, and the gradient is built from gathers and additions too, so it
 * runs on every backend and gives the same sums in the same order.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedAttrMap, Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { graphKernelSupport, registerWasmKernel } from "./graph/memory.js";

const GATHER = "DeepstructGatherColumns";
const SCATTER = "DeepstructScatterColumns";

registerWasmKernel(GATHER, (ws, { x, indices }) => {
  const [batch, cols] = x!.shape as [number, number];
  const count = indices!.shape[0]!;
  const out = ws.output([batch, count]);
  ws.code.gatherColumns(ws.input(x!), batch, cols, ws.input(indices!), count, out.pointer);
  return out.finish();
});

registerWasmKernel(SCATTER, (ws, { dy, indices }, attrs) => {
  const [batch, count] = dy!.shape as [number, number];
  const cols = attrs.cols as number;
  const dx = ws.output([batch, cols]);
  ws.code.scatterColumns(ws.input(dy!), batch, count, ws.input(indices!), dx.pointer, cols);
  return dx.finish();
});

/** The indices of each column pick, for the portable gradient (kept by the tensor, so nothing is read back from it). */
const pickedIndices = new WeakMap<Tensor1D, readonly number[]>();

/** The columns to pick, as the int32 tensor `gatherColumns` takes (made once per kernel). */
export function columnPick(indices: readonly number[]): Tensor1D {
  const pick = tf.tensor1d(Int32Array.from(indices), "int32");
  pickedIndices.set(pick, Array.from(indices));
  return pick;
}

function indicesOf(columns: Tensor1D): readonly number[] {
  let indices = pickedIndices.get(columns);
  if (indices === undefined) {
    // A pick not made by columnPick: read once.
    indices = Array.from(columns.dataSync());
    pickedIndices.set(columns, indices);
  }
  return indices;
}

/**
 * The gradient of x[:, indices] by gathers alone: the k-th occurrences of the
 * columns (k = 0, 1, …) are distinct columns, so each occurrence level is one
 * gather of dy with a zero column appended (the zero standing for columns
 * without a k-th occurrence), and the levels are added in order of position.
 */
export function scatterColumnsPortable(dy: Tensor2D, indices: readonly number[], cols: number): Tensor2D {
  const [batch, count] = dy.shape;
  const seen = new Int32Array(cols);
  const levels: Int32Array[] = [];
  indices.forEach((column, j) => {
    const k = seen[column]!++;
    (levels[k] ??= new Int32Array(cols).fill(count))[column] = j;
  });
  return tf.tidy(() => {
    if (levels.length === 0) return tf.zeros([batch, cols]) as Tensor2D;
    const padded = tf.concat2d([dy, tf.zeros([batch, 1])], 1);
    return levels.map((level) => tf.gather(padded, tf.tensor1d(level, "int32"), 1) as Tensor2D).reduce((sum, part) => tf.add(sum, part));
  });
}

export function gatherColumns(x: Tensor2D, columns: Tensor1D): Tensor2D {
  const cols = x.shape[1];
  if (graphKernelSupport().available) {
    const op = tf.customGrad((input) => ({
      value: tf.engine().runKernel(GATHER, { x: input as Tensor, indices: columns }) as Tensor2D,
      gradFunc: (dy: Tensor) => tf.engine().runKernel(SCATTER, { dy, indices: columns }, { cols } as unknown as NamedAttrMap) as Tensor,
    }));
    return op(x) as Tensor2D;
  }
  const indices = indicesOf(columns);
  const op = tf.customGrad((input) => ({
    value: tf.gather(input as Tensor2D, columns, 1) as Tensor2D,
    gradFunc: (dy: Tensor) => scatterColumnsPortable(dy as Tensor2D, indices, cols),
  }));
  return op(x) as Tensor2D;
}
