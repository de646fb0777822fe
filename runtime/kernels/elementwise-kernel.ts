/**
 * A kernel that makes float32 outputs from float32 inputs in one pass over
 * their values, on WASM (views on the heap, no copies) and on CPU (the
 * backend's arrays). An LSTM step's backward (lstm-backward.ts) is this: one
 * launch instead of about twenty element-wise ops, each a separate launch
 * over the same [batch, hidden] values. Where the ops are transcendental it
 * does not pay: WASM's sigmoid is vectorised, and an LSTM forward step as
 * such a kernel (Math.exp, Math.tanh) measured 1,490 against the ops' 847 µs
 * per [100, 100] step; with the sigmoid and tanh left to WASM around two of
 * these kernels (5 launches instead of 10) the network's forward measured
 * 19.20 against 18.77 ms (the same interleaved runs, 22:15 UTC, load 7), so
 * the forward keeps the ops.
 *
 * No gradient: for use inside the gradient through time (recurrent/through-time.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, NamedTensorInfoMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";

interface WasmHeap {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface CpuArrays {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

export interface ElementwiseKernel<In extends string> {
  readonly name: string;
  readonly inputs: readonly In[];
  /** The outputs' shapes from the inputs' (every input's shape by name). */
  readonly outputShapes: (shapes: Readonly<Record<In, readonly number[]>>) => number[][];
  /** Fills `outputs` (zero-filled on CPU, uninitialised on WASM: write every value) from `inputs`. */
  readonly compute: (inputs: Readonly<Record<In, Float32Array>>, outputs: readonly Float32Array[], shapes: Readonly<Record<In, readonly number[]>>) => void;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function byName<In extends string, V>(names: readonly In[], of: (name: In) => V): Record<In, V> {
  return Object.fromEntries(names.map((n) => [n, of(n)])) as Record<In, V>;
}

function onHeap<In extends string>(kernel: ElementwiseKernel<In>, backend: WasmHeap, inputs: NamedTensorInfoMap): TensorInfo[] {
  const shapes = byName(kernel.inputs, (n) => inputs[n]!.shape);
  const outputs = kernel.outputShapes(shapes).map((shape) => backend.makeOutput(shape, "float32"));
  // Views only after the outputs are allocated: allocating may grow (and so replace) the heap's buffer.
  const views = byName(kernel.inputs, (n) => backend.typedArrayFromHeap(inputs[n]!));
  kernel.compute(
    views,
    outputs.map((o) => backend.typedArrayFromHeap(o)),
    shapes,
  );
  return outputs;
}

function onCpu<In extends string>(kernel: ElementwiseKernel<In>, backend: CpuArrays, inputs: NamedTensorInfoMap): TensorInfo[] {
  const shapes = byName(kernel.inputs, (n) => inputs[n]!.shape);
  const floats = (info: TensorInfo): Float32Array => {
    const values = backend.readSync(info.dataId);
    return values instanceof Float32Array ? values : Float32Array.from(values);
  };
  const outputShapes = kernel.outputShapes(shapes);
  const outputs = outputShapes.map((shape) => new Float32Array(size(shape)));
  kernel.compute(
    byName(kernel.inputs, (n) => floats(inputs[n]!)),
    outputs,
    shapes,
  );
  return outputs.map((values, k) => backend.makeTensorInfo(outputShapes[k]!, "float32", values));
}

const registered = new Set<string>();

/** Whether element-wise kernels run on the current backend (WASM or CPU). */
export function elementwiseKernelAvailable(): boolean {
  const backend = tf.getBackend();
  return backend === "wasm" || backend === "cpu";
}

/** Runs `kernel` on `tensors` (float32 each; the caller checks their shapes), registering it on first use. */
export function runElementwise<In extends string>(kernel: ElementwiseKernel<In>, tensors: Readonly<Record<In, Tensor>>): Tensor[] {
  for (const name of kernel.inputs) {
    if (tensors[name].dtype !== "float32") throw new Error(`${kernel.name}: ${name} is ${tensors[name].dtype}, expected float32`);
  }
  if (!registered.has(kernel.name)) {
    registered.add(kernel.name);
    tf.registerKernel({ kernelName: kernel.name, backendName: "wasm", kernelFunc: ({ inputs, backend }) => onHeap(kernel, backend as unknown as WasmHeap, inputs) });
    tf.registerKernel({ kernelName: kernel.name, backendName: "cpu", kernelFunc: ({ inputs, backend }) => onCpu(kernel, backend as unknown as CpuArrays, inputs) });
  }
  return tf.engine().runKernel(kernel.name, { ...tensors } as unknown as tf.NamedTensorMap) as unknown as Tensor[];
}
