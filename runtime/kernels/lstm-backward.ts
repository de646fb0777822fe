/**
 * One LSTM step backward as one kernel: from the gates' saved activations
 * (i, f, g, o and tanh of the new cell, each [batch, hidden]), the previous
 * cell and the incoming gradients of h and c, the pre-activation gradients
 * dz [batch, 4 · hidden] (gates side by side: i, f, g, o) and the previous
 * cell's gradient. As TensorFlow.js ops this step is about twenty
 * element-wise ops and a concatenation, each a separate launch over 10,000
 * values at [100, 100]; here it is one pass over the heap (WASM) or the
 * backend's arrays (CPU), through elementwise-kernel.ts. Elsewhere the caller
 * keeps the ops (cells.ts).
 */
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { elementwiseKernelAvailable, runElementwise, type ElementwiseKernel } from "./elementwise-kernel.js";

const KERNEL = "DeepstructLstmStepBackward";
const INPUTS = ["i", "f", "g", "o", "squashed", "previousCell", "dh", "dc"] as const;
type Name = (typeof INPUTS)[number];

export type LstmStepTensors = Readonly<Record<Name, Tensor2D>>;

/** The element-wise pass over equal-sized rows of `hidden` values. */
function backward(v: Readonly<Record<Name, Float32Array>>, dz: Float32Array, dcPrevious: Float32Array, hidden: number): void {
  // Locals, not an object or array per element: this loop is the kernel's whole cost.
  const { i: gi, f: gf, g: gg, o: go, squashed, previousCell, dh: dhs, dc: dcs } = v;
  const batch = gi.length / hidden;
  for (let b = 0; b < batch; b++) {
    const row = 4 * hidden * b;
    for (let j = 0, k = hidden * b; j < hidden; j++, k++) {
      const i = gi[k]!;
      const f = gf[k]!;
      const g = gg[k]!;
      const o = go[k]!;
      const t = squashed[k]!;
      const dh = dhs[k]!;
      const dCell = dcs[k]! + dh * o * (1 - t * t);
      dz[row + j] = dCell * g * i * (1 - i);
      dz[row + hidden + j] = dCell * previousCell[k]! * f * (1 - f);
      dz[row + 2 * hidden + j] = dCell * i * (1 - g * g);
      dz[row + 3 * hidden + j] = dh * t * o * (1 - o);
      dcPrevious[k] = dCell * f;
    }
  }
}

const KERNEL_SPEC: ElementwiseKernel<Name> = {
  name: KERNEL,
  inputs: INPUTS,
  outputShapes: ({ i: [batch, hidden] }) => [
    [batch!, 4 * hidden!],
    [batch!, hidden!],
  ],
  compute: (inputs, [dz, dc], { i: shape }) => backward(inputs, dz!, dc!, shape[1]!),
};

/** Whether the kernel runs on the current backend (WASM or CPU). */
export const lstmStepBackwardAvailable = elementwiseKernelAvailable;

/** dz [batch, 4 · hidden] and the previous cell's gradient [batch, hidden]; every input float32 [batch, hidden]. */
export function lstmStepBackward(tensors: LstmStepTensors): { dz: Tensor2D; dc: Tensor2D } {
  const shape = tensors.i.shape;
  for (const name of INPUTS) {
    const t = tensors[name];
    if (t.dtype !== "float32" || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])
      throw new Error(`lstmStepBackward: ${name} is ${t.dtype} [${t.shape}], expected float32 [${shape}]`);
  }
  const [dz, dc] = runElementwise(KERNEL_SPEC, tensors) as [Tensor2D, Tensor2D];
  return { dz: dz!, dc: dc! };
}
