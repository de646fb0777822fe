/**
 * A 2-D tensor split into equal parts along rows or columns, copying each
 * part once. TensorFlow.js's WASM `Slice` (and so `split` and `unstack`,
 * which call it once per part) first copies its whole input out of the heap
 * (`readSync`), so splitting a [steps, batch · width] sequence into its steps
 * copied the sequence once per step; this kernel reads the input in place (a
 * Float32Array view on the heap, as native/dense-product.ts does). On other
 * backends it is TensorFlow.js's `split`.
 *
 * splitEqually has no gradient: for use inside a custom gradient
 * (recurrent/through-time.ts). sliceRows, one contiguous block of rows, has
 * one: what the layer's caller takes of its output (recurrent/forward.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, NamedAttrMap, NamedTensorInfoMap, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";

const KERNEL = "DeepstructHeapSplit";
const ROWS_KERNEL = "DeepstructHeapRows";

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

interface RowRange {
  readonly begin: number;
  readonly size: number;
}

function rowsOnHeap(backend: WasmHeap, x: TensorInfo, { begin, size }: RowRange): TensorInfo {
  const columns = x.shape[1]!;
  const out = backend.makeOutput([size, columns], "float32");
  // The source's view only after the output is allocated, as above.
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(begin * columns, (begin + size) * columns));
  return out;
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
  tf.registerKernel({
    kernelName: ROWS_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
      rowsOnHeap(backend as WasmHeap, inputs.x!, attrs as unknown as RowRange),
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

/** Rows [begin, begin + size) of `x` as one copy on WASM, without splitEqually's no-gradient rule: its gradient puts dy back among zero rows. */
export function sliceRows(x: Tensor2D, begin: number, size: number): Tensor2D {
  const [rows, columns] = x.shape;
  if (x.rank !== 2 || !Number.isInteger(begin) || !Number.isInteger(size) || begin < 0 || size < 1 || begin + size > rows) {
    throw new Error(`sliceRows: rows [${begin}, ${begin + size}) do not lie in [${x.shape}]`);
  }
  const op = tf.customGrad((input, save) => {
    void save;
    const value =
      tf.getBackend() !== "wasm" || x.dtype !== "float32"
        ? (tf.slice(input as Tensor2D, [begin, 0], [size, columns]) as Tensor2D)
        : (register(), tf.engine().runKernel(ROWS_KERNEL, { x: input as Tensor2D }, { begin, size } as unknown as NamedAttrMap) as Tensor2D);
    const gradFunc = (dy: Tensor2D): Tensor2D => {
      const zeros = (count: number): Tensor2D[] => (count === 0 ? [] : [tf.zeros([count, columns]) as Tensor2D]);
      const parts = [...zeros(begin), dy, ...zeros(rows - begin - size)];
      return parts.length === 1 ? dy : (tf.concat(parts, 0) as Tensor2D);
    };
    return { value, gradFunc };
  });
  return op(x) as Tensor2D;
}
