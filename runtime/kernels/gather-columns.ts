/**
 * x[:, indices]: the columns a kernel multiplies, picked from its sources laid
 * side by side. Written on graph.wat with its own gradient (a scatter-add of
 * the columns): TensorFlow.js's gather along columns runs at about 40 ns per
 * element on WASM, and its gradient needs UnsortedSegmentSum, which the WASM
 * backend does not have.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedAttrMap, Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { registerWasmKernel } from "./graph/memory.js";

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

/** The columns to pick, as the int32 tensor `gatherColumns` takes (made once per kernel). */
export function columnPick(indices: readonly number[]): Tensor1D {
  return tf.tensor1d(Int32Array.from(indices), "int32");
}

export function gatherColumns(x: Tensor2D, columns: Tensor1D): Tensor2D {
  const cols = x.shape[1];
  const op = tf.customGrad((input) => ({
    value: tf.engine().runKernel(GATHER, { x: input as Tensor, indices: columns }) as Tensor2D,
    gradFunc: (dy: Tensor) => tf.engine().runKernel(SCATTER, { dy, indices: columns }, { cols } as unknown as NamedAttrMap) as Tensor,
  }));
  return op(x) as Tensor2D;
}
