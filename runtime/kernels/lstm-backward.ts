/**
 * One LSTM step backward as one kernel: from the gates' saved activations
 * (i, f, g, o and tanh of the new cell, each [batch, hidden]), the previous
 * cell and the incoming gradients of h and c, the pre-activation gradients
 * dz [batch, 4 · hidden] (gates side by side: i, f, g, o) and the previous
 * cell's gradient. As TensorFlow.js ops this step is about twenty
 * element-wise ops and a concatenation, each a separate launch over 10,000
 * values at [100, 100]; here it is one pass over the heap (WASM) or the
 * backend's arrays (CPU). Elsewhere the caller keeps the ops (cells.ts).
 *
 * No gradient: for use inside the gradient through time (recurrent/through-time.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, NamedTensorInfoMap, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";

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

interface WasmHeap {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface CpuArrays {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

function onHeap(backend: WasmHeap, inputs: NamedTensorInfoMap): TensorInfo[] {
  const [batch, hidden] = inputs.i!.shape as [number, number];
  const dz = backend.makeOutput([batch, 4 * hidden], "float32");
  const dc = backend.makeOutput([batch, hidden], "float32");
  // Views only after the outputs are allocated: allocating may grow (and so replace) the heap's buffer.
  const views = Object.fromEntries(INPUTS.map((n) => [n, backend.typedArrayFromHeap(inputs[n]!)])) as Record<Name, Float32Array>;
  backward(views, backend.typedArrayFromHeap(dz), backend.typedArrayFromHeap(dc), hidden);
  return [dz, dc];
}

function onCpu(backend: CpuArrays, inputs: NamedTensorInfoMap): TensorInfo[] {
  const [batch, hidden] = inputs.i!.shape as [number, number];
  const floats = (info: TensorInfo): Float32Array => {
    const values = backend.readSync(info.dataId);
    return values instanceof Float32Array ? values : Float32Array.from(values);
  };
  const views = Object.fromEntries(INPUTS.map((n) => [n, floats(inputs[n]!)])) as Record<Name, Float32Array>;
  const dz = new Float32Array(batch * 4 * hidden);
  const dc = new Float32Array(batch * hidden);
  backward(views, dz, dc, hidden);
  return [backend.makeTensorInfo([batch, 4 * hidden], "float32", dz), backend.makeTensorInfo([batch, hidden], "float32", dc)];
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: KERNEL, backendName: "wasm", kernelFunc: ({ inputs, backend }) => onHeap(backend as unknown as WasmHeap, inputs) });
  tf.registerKernel({ kernelName: KERNEL, backendName: "cpu", kernelFunc: ({ inputs, backend }) => onCpu(backend as unknown as CpuArrays, inputs) });
}

/** Whether the kernel runs on the current backend (WASM or CPU). */
export function lstmStepBackwardAvailable(): boolean {
  const backend = tf.getBackend();
  return backend === "wasm" || backend === "cpu";
}

/** dz [batch, 4 · hidden] and the previous cell's gradient [batch, hidden]; every input float32 [batch, hidden]. */
export function lstmStepBackward(tensors: LstmStepTensors): { dz: Tensor2D; dc: Tensor2D } {
  const shape = tensors.i.shape;
  for (const name of INPUTS) {
    const t = tensors[name];
    if (t.dtype !== "float32" || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])
      throw new Error(`lstmStepBackward: ${name} is ${t.dtype} [${t.shape}], expected float32 [${shape}]`);
  }
  register();
  const [dz, dc] = tf.engine().runKernel(KERNEL, { ...tensors }) as unknown as [Tensor2D, Tensor2D];
  return { dz: dz!, dc: dc! };
}
