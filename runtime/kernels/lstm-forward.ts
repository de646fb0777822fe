/**
 * One LSTM step forward as one kernel: from the step's input product plus
 * bias `xt` and hidden product `hu` (each [batch, 4 · hidden], gates side by
 * side: i, f, g, o) and the previous cell, the gates after their
 * nonlinearities, tanh of the new cell (what lstm-backward.ts reads), the new
 * h and the new cell, each [batch, hidden]. As TensorFlow.js ops this step
 * is an add, a four-way split, four activations and five more element-wise
 * ops, each a launch over the same values; here it is one pass
 * (elementwise-kernel.ts). Elsewhere the caller keeps the ops (cells.ts).
 */
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { elementwiseKernelAvailable, runElementwise, type ElementwiseKernel } from "./elementwise-kernel.js";

const INPUTS = ["xt", "hu", "previousCell"] as const;
type Name = (typeof INPUTS)[number];

export type LstmForwardTensors = Readonly<Record<Name, Tensor2D>>;

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

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The element-wise pass; `out` is i, f, g, o, squashed, h, c, each [batch, hidden]. */
function forward({ xt, hu, previousCell }: Readonly<Record<Name, Float32Array>>, out: readonly Float32Array[], hidden: number): void {
  // Locals, not an object per element: this loop is the kernel's whole cost.
  const [gi, gf, gg, go, squashed, h, c] = out as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const batch = previousCell.length / hidden;
  for (let b = 0; b < batch; b++) {
    const row = 4 * hidden * b;
    for (let j = 0, k = hidden * b; j < hidden; j++, k++) {
      const i = sigmoid(xt[row + j]! + hu[row + j]!);
      const f = sigmoid(xt[row + hidden + j]! + hu[row + hidden + j]!);
      const g = Math.tanh(xt[row + 2 * hidden + j]! + hu[row + 2 * hidden + j]!);
      const o = sigmoid(xt[row + 3 * hidden + j]! + hu[row + 3 * hidden + j]!);
      // Rounded to float32 as the stored cell is, so tanh reads the value the ops' path would.
      const cell = Math.fround(f * previousCell[k]! + i * g);
      const t = Math.tanh(cell);
      gi[k] = i;
      gf[k] = f;
      gg[k] = g;
      go[k] = o;
      squashed[k] = t;
      h[k] = o * t;
      c[k] = cell;
    }
  }
}

const KERNEL: ElementwiseKernel<Name> = {
  name: "DeepstructLstmStepForward",
  inputs: INPUTS,
  outputShapes: ({ previousCell }) => Array.from({ length: 7 }, () => [...previousCell]),
  compute: (inputs, outputs, { previousCell }) => forward(inputs, outputs, previousCell[1]!),
};

/** Whether the kernel runs on the current backend (WASM or CPU). */
export const lstmStepForwardAvailable = elementwiseKernelAvailable;

/** One step's gates and new state; `xt` and `hu` float32 [batch, 4 · hidden], `previousCell` float32 [batch, hidden]. */
export function lstmStepForward(tensors: LstmForwardTensors): LstmForwardStep {
  const [batch, hidden] = tensors.previousCell.shape;
  for (const name of ["xt", "hu"] as const) {
    const [rows, width] = tensors[name].shape;
    if (rows !== batch || width !== 4 * hidden)
      throw new Error(`lstmStepForward: ${name} is [${tensors[name].shape}], expected [${batch},${4 * hidden}] (4 gates of the cell's ${hidden})`);
  }
  const [i, f, g, o, squashed, h, c] = runElementwise(KERNEL, tensors) as Tensor2D[];
  return { i: i!, f: f!, g: g!, o: o!, squashed: squashed!, h: h!, c: c! };
}
