/**
 * One LSTM step forward in five launches instead of ten: from the step's
 * input product plus bias `xt` and hidden product `hu` (each [batch,
 * 4 · hidden], gates side by side: i, f, g, o) and the previous cell, the
 * gates after their nonlinearities, tanh of the new cell (what
 * lstm-backward.ts reads), the new h and the new cell, each [batch, hidden].
 * The transcendental functions stay TensorFlow.js's (one sigmoid over all
 * four gates, g as 2σ(2z) − 1 = tanh z, and tanh of the cell): WASM's are
 * vectorised, and a one-pass kernel with JavaScript's Math.exp measured
 * slower than the ten ops (1,490 against 847 µs per [100, 100] step, the same
 * interleaved runs); the sums, splits and products around them are one pass
 * each (elementwise-kernel.ts). Elsewhere the caller keeps the ops (cells.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { elementwiseKernelAvailable, runElementwise, type ElementwiseKernel } from "./elementwise-kernel.js";

type Gates = "xt" | "hu";
type Cell = "activated" | "previousCell";

export type LstmForwardTensors = Readonly<Record<Gates | "previousCell", Tensor2D>>;

export interface LstmForwardStep {
  readonly i: Tensor2D;
  readonly f: Tensor2D;
  readonly g: Tensor2D;
  readonly o: Tensor2D;
  /** tanh of the new cell. */
  readonly squashed: Tensor2D;
  readonly h: Tensor2D;
  readonly c: Tensor2D;
}

/** xt + hu, the g block doubled: σ(2z) = (1 + tanh z) / 2, so one sigmoid over all four blocks gives every gate. */
const PRE_ACTIVATION: ElementwiseKernel<Gates> = {
  name: "DeepstructLstmPreActivation",
  inputs: ["xt", "hu"],
  outputShapes: ({ xt }) => [[...xt]],
  compute: ({ xt, hu }, [z], { xt: [batch, width] }) => {
    const hidden = width! / 4;
    for (let b = 0, row = 0; b < batch!; b++, row += width!) {
      for (let k = row; k < row + 2 * hidden; k++) z![k] = xt[k]! + hu[k]!;
      for (let k = row + 2 * hidden; k < row + 3 * hidden; k++) z![k] = 2 * (xt[k]! + hu[k]!);
      for (let k = row + 3 * hidden; k < row + width!; k++) z![k] = xt[k]! + hu[k]!;
    }
  },
};

/** The gates from the sigmoid of the pre-activation (g = 2σ(2z) − 1 = tanh z) and the new cell f ⊙ c + i ⊙ g. */
const CELL: ElementwiseKernel<Cell> = {
  name: "DeepstructLstmCell",
  inputs: ["activated", "previousCell"],
  outputShapes: ({ previousCell }) => Array.from({ length: 5 }, () => [...previousCell]),
  compute: ({ activated, previousCell }, out, { previousCell: [batch, hidden] }) => {
    const [gi, gf, gg, go, c] = out as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    for (let b = 0, n = hidden!; b < batch!; b++) {
      for (let j = 0, row = 4 * n * b, k = n * b; j < n; j++, k++) {
        const i = activated[row + j]!;
        const f = activated[row + n + j]!;
        const g = 2 * activated[row + 2 * n + j]! - 1;
        gi[k] = i;
        gf[k] = f;
        gg[k] = g;
        go[k] = activated[row + 3 * n + j]!;
        c[k] = f * previousCell[k]! + i * g;
      }
    }
  },
};

/** Whether the kernels run on the current backend (WASM or CPU). */
export const lstmStepForwardAvailable = elementwiseKernelAvailable;

/** One step's gates and new state; `xt` and `hu` float32 [batch, 4 · hidden], `previousCell` float32 [batch, hidden]. */
export function lstmStepForward(tensors: LstmForwardTensors): LstmForwardStep {
  const [batch, hidden] = tensors.previousCell.shape;
  for (const name of ["xt", "hu"] as const) {
    const [rows, width] = tensors[name].shape;
    if (rows !== batch || width !== 4 * hidden)
      throw new Error(`lstmStepForward: ${name} is [${tensors[name].shape}], expected [${batch},${4 * hidden}] (4 gates of the cell's ${hidden})`);
  }
  const [z] = runElementwise(PRE_ACTIVATION, tensors) as Tensor2D[];
  const activated = tf.sigmoid(z!) as Tensor2D;
  const [i, f, g, o, c] = runElementwise(CELL, { activated, previousCell: tensors.previousCell }) as Tensor2D[];
  const squashed = tf.tanh(c!) as Tensor2D;
  tf.dispose([z!, activated]);
  return { i: i!, f: f!, g: g!, o: o!, squashed, h: tf.mul(o!, squashed) as Tensor2D, c: c! };
}
