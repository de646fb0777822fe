/**
 * A masked dense layer as one kernel each way, where the native products run
 * (TensorFlow.js's WASM or CPU backend with the addon loaded): forward
 * `act(x · (w ⊙ mask) + bias)`, backward the input, weight and bias
 * gradients. Composed of ops, the same layer is three kernels forward (mask,
 * product, ReLU) and eight back (ReLU's step, cast and multiply, two
 * products, the weight gradient's mask, the mask's zero gradient, the bias
 * gradient's sum over the batch), each with the engine's dispatch and tape
 * bookkeeping; and TensorFlow.js's WASM `Sum` over the batch axis transposes
 * first (77 µs for 256 × 100 here). Here the elementwise steps are the
 * backend's own kernels called directly (SIMD on WASM, no engine), the bias
 * gradient is a product with a row of ones, and the mask is data the kernel
 * reads, not an input that needs a gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, Tensor, Tensor1D, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";
import { heapOffset, wasmHeap, type WasmBackendInternals } from "../backend-memory.js";
import { nativeDenseBlas } from "./dense-product.js";
import type { NativeBlas } from "./load.js";
import { saveForBackward } from "../saved-tensors.js";

const FORWARD = "DeepstructDenseLayer";
const BACKWARD = "DeepstructDenseLayerGrad";
const BACKENDS = ["wasm", "cpu"] as const;

interface Attributes {
  /** Whether the layer applies ReLU to its product (and its gradient the ReLU's). */
  readonly relu: boolean;
  /** Whether the backward pass computes the input's gradient. */
  readonly needInput: boolean;
  /** Whether x comes transposed, [inputs, batch] (a graph kernel's neurons as they lie in it), and its gradient goes back so. */
  readonly transposed: boolean;
}

/** The backend calls used here, not in KernelBackend's public types. */
interface Backend {
  readSync(dataId: object): ArrayLike<number>;
  disposeData(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

/** A kernel's view of its backend: float32 tensors to read and write in place, and the backend's own kernels called directly. */
interface Memory {
  /** A new float32 tensor, written through `floats`. */
  alloc(shape: number[]): TensorInfo;
  /** The tensor's values in place. On WASM take them only after the last `alloc` or `run`: both may grow the heap. */
  floats(info: TensorInfo): Float32Array;
  run(kernel: string, inputs: NamedTensorInfoMap, attrs?: NamedAttrMap): TensorInfo;
  dispose(info: TensorInfo): void;
}

function memoryOf(backendName: string, kernelBackend: KernelBackend): Memory {
  const backend = kernelBackend as unknown as Backend;
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  const run = (kernel: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo =>
    tf.getKernel(kernel, backendName)!.kernelFunc({ inputs, backend: kernelBackend, attrs }) as TensorInfo;
  const dispose = (info: TensorInfo): void => backend.disposeData(info.dataId);
  if (backendName === "wasm") {
    const internals = kernelBackend as unknown as WasmBackendInternals;
    return {
      alloc: (shape) => internals.makeOutput(shape, "float32"),
      floats: (info) => new Float32Array(wasmHeap(internals), heapOffset(internals, info)!, size(info.shape)),
      run,
      dispose,
    };
  }
  // The CPU backend keeps the array a tensor is made from, so writing it writes the tensor.
  return {
    alloc: (shape) => backend.makeTensorInfo(shape, "float32", new Float32Array(size(shape))),
    floats: (info) => {
      const values = backend.readSync(info.dataId);
      if (!(values instanceof Float32Array)) throw new Error(`native dense layer: a ${info.dtype} tensor where float32 was expected`);
      return values;
    },
    run,
    dispose,
  };
}

/** [batch, inputs] of x, as given or transposed. */
const sizes = (x: TensorInfo, a: Attributes): [number, number] => (a.transposed ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!]);

/** `w ⊙ mask`, or `w` itself without a mask (then not to be disposed). */
const effectiveWeight = (memory: Memory, w: TensorInfo, mask: TensorInfo | undefined): TensorInfo => (mask === undefined ? w : memory.run("Multiply", { a: w, b: mask }));

/** Whether the forward kernel hands out `w ⊙ mask` too, for the backward pass's input gradient (rather than that making it again). */
const keepsEffective = (a: Attributes, masked: boolean): boolean => masked && a.needInput;

/** `[y]`, or `[y, w ⊙ mask]` (keepsEffective). */
function forwardKernel(blas: NativeBlas, memory: Memory, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const { x, w, mask, bias } = inputs as Record<string, TensorInfo>;
  const [batch, k] = sizes(x!, a);
  const n = w!.shape[1]!;
  const effective = effectiveWeight(memory, w!, mask);
  const product = memory.alloc([batch, n]);
  blas.gemm(a.transposed, false, batch, n, k, memory.floats(x!), memory.floats(effective), memory.floats(product), memory.floats(bias!));
  const kept = keepsEffective(a, mask !== undefined) ? [effective] : [];
  if (effective !== w && kept.length === 0) memory.dispose(effective);
  if (!a.relu) return [product, ...kept];
  const y = memory.run("Relu", { x: product });
  memory.dispose(product);
  return [y, ...kept];
}

/** A row of `batch` ones, for the bias gradient as a product: onesᵀ · g sums g over the batch. */
let ones = new Float32Array(0);
const onesOf = (batch: number): Float32Array => (ones.length >= batch ? ones : (ones = new Float32Array(batch).fill(1))).subarray(0, batch);

function backwardKernel(blas: NativeBlas, memory: Memory, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const { dy, x, y, w, mask, effective: given } = inputs as Record<string, TensorInfo>;
  const [batch, k] = sizes(x!, a);
  const n = w!.shape[1]!;
  // ReLU's gradient: dy where the output is positive (ReLU's step of its output is that of its input).
  const step = a.relu ? memory.run("Step", { x: y! }, { alpha: 0 }) : undefined;
  const g = step === undefined ? dy! : memory.run("Multiply", { a: dy!, b: step });
  if (step !== undefined) memory.dispose(step);
  const effective = a.needInput ? (given ?? effectiveWeight(memory, w!, mask)) : undefined;
  const [db, product] = [memory.alloc([n]), memory.alloc([k, n])];
  const dx = a.needInput ? memory.alloc([...x!.shape]) : undefined;
  const gf = memory.floats(g);
  blas.gemm(false, false, 1, n, batch, onesOf(batch), gf, memory.floats(db), null);
  // dw = xᵀ · g; dx = g · effᵀ, or transposed, dxᵀ = eff · gᵀ.
  blas.gemm(!a.transposed, false, k, n, batch, memory.floats(x!), gf, memory.floats(product), null);
  if (dx !== undefined && a.transposed) blas.gemm(false, true, k, batch, n, memory.floats(effective!), gf, memory.floats(dx), null);
  else if (dx !== undefined) blas.gemm(false, true, batch, k, n, gf, memory.floats(effective!), memory.floats(dx), null);
  if (effective !== undefined && effective !== w && effective !== given) memory.dispose(effective);
  if (g !== dy) memory.dispose(g);
  // A pruned connection's gradient is exactly zero, so no optimizer ever moves it.
  const dw = mask === undefined ? product : memory.run("Multiply", { a: product, b: mask });
  if (dw !== product) memory.dispose(product);
  return dx === undefined ? [dw, db] : [dx, dw, db];
}

let registered = false;

function register(blas: NativeBlas): void {
  if (registered) return;
  registered = true;
  for (const backendName of BACKENDS) {
    const attributesOf = (attrs: NamedAttrMap | undefined): Attributes => attrs as unknown as Attributes;
    tf.registerKernel({
      kernelName: FORWARD,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
        forwardKernel(blas, memoryOf(backendName, backend as KernelBackend), inputs, attributesOf(attrs)),
    });
    tf.registerKernel({
      kernelName: BACKWARD,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
        backwardKernel(blas, memoryOf(backendName, backend as KernelBackend), inputs, attributesOf(attrs)),
    });
  }
}

type SaveFunction = (tensors: Tensor[]) => void;

export interface DenseLayerOptions {
  /** Apply ReLU to the product (default false: the product plus bias as it is). */
  readonly relu?: boolean;
  /** Whether anything upstream needs the gradient of `x` (default true); without it its gradient is zeros. */
  readonly inputNeedsGradient?: boolean;
  /** `x` comes transposed, [inputs, batch], and its gradient goes back so (default false). */
  readonly inputTransposed?: boolean;
}

/**
 * `act(x · (w ⊙ mask) + bias)` with its gradients by `x`, `w` (zero where the
 * mask is) and `bias` in one kernel each way, on the native products; the
 * mask (0/1, data) gets none. Undefined where the native products do not run
 * (the caller composes ops), or for inputs that are not float32.
 */
export function nativeDenseLayer(x: Tensor2D, w: Tensor2D, mask: Tensor2D | undefined, bias: Tensor1D, options: DenseLayerOptions = {}): Tensor2D | undefined {
  const blas = nativeDenseBlas();
  if (blas === undefined || [x, w, bias, ...(mask === undefined ? [] : [mask])].some((t) => t.dtype !== "float32")) return undefined;
  const inputs = options.inputTransposed ? x.shape[0] : x.shape[1];
  if (inputs !== w.shape[0] || bias.shape[0] !== w.shape[1] || (mask !== undefined && mask.shape.join() !== w.shape.join()))
    throw new Error(`native dense layer: x [${x.shape}], w [${w.shape}], mask [${mask?.shape ?? "none"}] and bias [${bias.shape}] do not fit`);
  register(blas);
  const attrs: Attributes = { relu: options.relu === true, needInput: options.inputNeedsGradient !== false, transposed: options.inputTransposed === true };
  const attrsMap = attrs as unknown as NamedAttrMap;
  const masks: Record<string, Tensor> = mask === undefined ? {} : { mask };
  const op = tf.customGrad((xx, ww, bb, save) => {
    const [y, effective] = tf.engine().runKernel(FORWARD, { x: xx as Tensor, w: ww as Tensor, bias: bb as Tensor, ...masks }, attrsMap) as Tensor2D[];
    // The mask too, unless kept (a binding's): a caller's may be made inside the differentiated function, gone by the backward pass.
    const parts: Record<string, Tensor> = { x: xx as Tensor, w: ww as Tensor, ...masks, ...(effective === undefined ? {} : { effective }), ...(attrs.relu ? { y: y! } : {}) };
    const names = Object.keys(parts);
    const restore = saveForBackward(save as SaveFunction, Object.values(parts));
    return {
      value: y!,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const all = restore(saved);
        const named: Record<string, Tensor> = Object.fromEntries(names.map((name, i) => [name, all[i]!]));
        const grads = tf.engine().runKernel(BACKWARD, { dy: dy as Tensor, ...named }, attrsMap) as Tensor[];
        return attrs.needInput ? grads : [tf.zerosLike(named.x!), ...grads];
      },
    };
  });
  return op(x, w, bias) as Tensor2D;
}
