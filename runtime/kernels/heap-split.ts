/**
 * A 2-D tensor split into equal parts along rows or columns, copying each
 * part once. TensorFlow.js's WASM `Slice` (and so `split` and `unstack`,
 * which call it once per part) first copies its whole input out of the heap
 * (`readSync`), so splitting a [steps, batch · width] sequence into its steps
 * copied the sequence once per step; this kernel reads the input in place (a
 * Float32Array view on the heap, as native/dense-product.ts does). On other
 * backends it is TensorFlow.js's `split`.
 *
 * No gradient: for use inside a custom gradient (recurrent/through-time.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, NamedAttrMap, NamedTensorInfoMap, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";

const KERNEL = "DeepstructHeapSplit";

interface WasmHeap {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface Attributes {
  readonly axis: 0 | 1;
  readonly count: number;
}

function splitOnHeap(backend: WasmHeap, x: TensorInfo, { axis, count }: Attributes): TensorInfo[] {
  const [rows, columns] = x.shape as [number, number];
  const shape = axis === 0 ? [rows / count, columns] : [rows, columns / count];
  const outputs = Array.from({ length: count }, () => backend.makeOutput(shape, "float32"));
  // Views only after every output is allocated: allocating may grow (and so replace) the heap's buffer.
  const source = backend.typedArrayFromHeap(x);
  const part = shape[0]! * shape[1]!;
  outputs.forEach((out, k) => {
    const target = backend.typedArrayFromHeap(out);
    if (axis === 0) target.set(source.subarray(k * part, (k + 1) * part));
    else for (let r = 0, width = shape[1]!; r < rows; r++) target.set(source.subarray(r * columns + k * width, r * columns + (k + 1) * width), r * width);
  });
  return outputs;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
      splitOnHeap(backend as WasmHeap, inputs.x!, attrs as unknown as Attributes),
  });
}

/** `x` [rows, columns] in `count` equal parts along `axis`; the size along it must divide by `count`. */
export function splitEqually(x: Tensor2D, count: number, axis: 0 | 1): Tensor2D[] {
  if (x.rank !== 2 || !Number.isInteger(count) || count < 1 || x.shape[axis] % count !== 0) {
    throw new Error(`splitEqually: cannot split [${x.shape}] into ${count} equal parts along axis ${axis}`);
  }
  if (tf.getBackend() !== "wasm" || x.dtype !== "float32") return tf.split(x, count, axis);
  register();
  return tf.engine().runKernel(KERNEL, { x }, { axis, count } as unknown as NamedAttrMap) as unknown as Tensor2D[];
}
