/**
 * A masked dense layer as one kernel each way, where the native products run
 * (TensorFlow.js's WASM or CPU backend with the addon loaded): forward
 * `act(x · (w ⊙ mask) + bias)`, backward the input, weight and bias
 * gradients. Composed of ops, the same layer is three kernels forward (mask,
 * product, ReLU) and eight back (ReLU's step, cast and multiply, two
 * products, the weight gradient's mask, the mask's zero gradient, the bias
 * gradient's sum over the batch), each with the engine's dispatch and tape
 * bookkeeping; and TensorFlow.js's WASM `Sum` over the batch axis transposes
 * first (77 µs for 256 × 100 here). Here the bias gradient is a product
 * with a row of ones, the mask is data the kernel reads, not an input that
 * needs a gradient, and the elementwise steps run in the addon, split over
 * its pool (native/dense.c): ReLU and the weight gradient's mask inside the
 * products, piece by piece; `w ⊙ mask` and ReLU's gradient `dy ⊙ (y > 0)` a
 * pass each; a mask of ones not at all. On a build of the addon without
 * those passes they are the backend's own kernels called directly (SIMD on
 * WASM, no engine), with the same results: a product by a 0/1 mask is exact.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, Tensor, Tensor1D, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";
import { heapOffset, lineOutput, wasmHeap, type WasmBackendInternals } from "../backend-memory.js";
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

/** Each backend's Memory, made once: the kernels run several times a step, and a fresh object of closures each call is only garbage. */
const memories = new WeakMap<KernelBackend, Memory>();

function memoryOf(backendName: string, kernelBackend: KernelBackend): Memory {
  let memory = memories.get(kernelBackend);
  if (memory === undefined) memories.set(kernelBackend, (memory = newMemory(backendName, kernelBackend)));
  return memory;
}

function newMemory(backendName: string, kernelBackend: KernelBackend): Memory {
  const backend = kernelBackend as unknown as Backend;
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  const run = (kernel: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo =>
    tf.getKernel(kernel, backendName)!.kernelFunc({ inputs, backend: kernelBackend, attrs }) as TensorInfo;
  const dispose = (info: TensorInfo): void => backend.disposeData(info.dataId);
  if (backendName === "wasm") {
    const internals = kernelBackend as unknown as WasmBackendInternals;
    return {
      alloc: (shape) => lineOutput(internals, shape),
      floats: (info) => new Float32Array(wasmHeap(internals), heapOffset(internals, info)!, size(info.shape)),
      run,
      dispose,
    };
  }
  // The CPU backend keeps the array a tensor is made from, so writing it writes the tensor. A float32 tensor may hold
  // another array (a cast from bool keeps its bytes): read as a float32 copy, which only inputs can be (outputs are alloc's).
  return {
    alloc: (shape) => backend.makeTensorInfo(shape, "float32", new Float32Array(size(shape))),
    floats: (info) => {
      const values = backend.readSync(info.dataId);
      if (info.dtype !== "float32") throw new Error(`native dense layer: a ${info.dtype} tensor where float32 was expected`);
      return values instanceof Float32Array ? values : Float32Array.from(values);
    },
    run,
    dispose,
  };
}

/** [batch, inputs] of x, as given or transposed. */
const sizes = (x: TensorInfo, a: Attributes): [number, number] => (a.transposed ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!]);

/** The addon's elementwise passes and the product's epilogue (native/dense.c), where the build has them. */
type Passes = Required<Pick<NativeBlas, "maskMultiply" | "reluGradient">>;
let passesOn = true;
const passesOf = (blas: NativeBlas): Passes | undefined => (passesOn && blas.maskMultiply !== undefined && blas.reluGradient !== undefined ? (blas as Passes) : undefined);

/**
 * Turns the addon's elementwise passes off (false: the layer as it ran before them, the backend's kernels inside it, a
 * mask of ones multiplied too) or back on where the build has them (true): for comparing the two in one process, like
 * useNativeDense.
 */
export function useNativeLayerPasses(on: boolean): void {
  passesOn = on;
}

const sizeOf = (info: TensorInfo): number => info.shape.reduce((a, b) => a * b, 1);

/**
 * Whether a mask is all ones, by its data: a tensor's values never change, so each is scanned once (a binding keeps
 * its masks from one step to the next), not every step, where the scan would cost what the multiply it saves costs.
 * A kernel's mask without a zero (an unpruned kernel: every mask here at WS 10,000) is then not multiplied at all,
 * which is exact: w · 1 is w.
 */
const allOnesByData = new WeakMap<object, boolean>();

function allOnes(memory: Memory, mask: TensorInfo): boolean {
  let known = allOnesByData.get(mask.dataId);
  if (known === undefined) {
    const values = memory.floats(mask);
    let i = 0;
    while (i < values.length && values[i] === 1) i++;
    allOnesByData.set(mask.dataId, (known = i === values.length));
  }
  return known;
}

/** The mask where it has other entries than ones; undefined where multiplying by it changes nothing. */
const effectiveMask = (memory: Memory, mask: TensorInfo | undefined): TensorInfo | undefined => (mask === undefined || (passesOn && allOnes(memory, mask)) ? undefined : mask);

/** `w ⊙ mask` as a new tensor: on the pool, or TensorFlow.js's Multiply. */
function maskedWeight(passes: Passes | undefined, memory: Memory, w: TensorInfo, mask: TensorInfo): TensorInfo {
  if (passes === undefined) return memory.run("Multiply", { a: w, b: mask });
  const out = memory.alloc([...w.shape]);
  passes.maskMultiply(sizeOf(w), memory.floats(w), memory.floats(mask), memory.floats(out));
  return out;
}

/** ReLU's gradient `dy ⊙ step(y)` as a new tensor (step of the output is that of the input): one pass on the pool, or TensorFlow.js's Step and Multiply. */
function reluGradient(passes: Passes | undefined, memory: Memory, dy: TensorInfo, y: TensorInfo): TensorInfo {
  if (passes === undefined) {
    const step = memory.run("Step", { x: y }, { alpha: 0 });
    const g = memory.run("Multiply", { a: dy, b: step });
    memory.dispose(step);
    return g;
  }
  const g = memory.alloc([...dy.shape]);
  passes.reluGradient(sizeOf(dy), memory.floats(dy), memory.floats(y), memory.floats(g));
  return g;
}

/** What follows a product: `⊙ mask`, then ReLU. */
interface Epilogue {
  readonly mask?: TensorInfo;
  readonly relu: boolean;
}

/** gemm's arguments without its epilogue: transposeA, transposeB, m, n, k, a, b, c, bias. */
type GemmArguments = [boolean, boolean, number, number, number, Float32Array, Float32Array, Float32Array, Float32Array | null];

/**
 * The product into `product` (a new tensor; `operands` gives gemm's arguments, taken only now: on WASM a view is good only
 * after the last allocation), then the epilogue: inside the product where the addon has the passes, else TensorFlow.js's
 * kernels after it (then a new tensor, `product` disposed).
 */
function productThen(blas: NativeBlas, memory: Memory, product: TensorInfo, after: Epilogue, operands: () => GemmArguments): TensorInfo {
  if (passesOf(blas) !== undefined && (after.relu || after.mask !== undefined)) {
    blas.gemm(...operands(), after.relu, after.mask === undefined ? null : memory.floats(after.mask));
    return product;
  }
  blas.gemm(...operands());
  const masked = after.mask === undefined ? product : memory.run("Multiply", { a: product, b: after.mask });
  if (masked !== product) memory.dispose(product);
  if (!after.relu) return masked;
  const y = memory.run("Relu", { x: masked });
  memory.dispose(masked);
  return y;
}

/** `[y]`, or `[y, w ⊙ mask]` where the backward pass's input gradient needs the masked weight and the mask has zeros. */
function forwardKernel(blas: NativeBlas, memory: Memory, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const { x, w, bias } = inputs as Record<string, TensorInfo>;
  const passes = passesOf(blas);
  const [batch, k] = sizes(x!, a);
  const n = w!.shape[1]!;
  const mask = effectiveMask(memory, inputs.mask);
  const effective = mask === undefined ? w! : maskedWeight(passes, memory, w!, mask);
  const product = memory.alloc([batch, n]);
  const y = productThen(blas, memory, product, { relu: a.relu }, () => [
    a.transposed,
    false,
    batch,
    n,
    k,
    memory.floats(x!),
    memory.floats(effective),
    memory.floats(product),
    memory.floats(bias!),
  ]);
  if (effective === w) return [y];
  if (a.needInput) return [y, effective];
  memory.dispose(effective);
  return [y];
}

/** A row of `batch` ones, for the bias gradient as a product: onesᵀ · g sums g over the batch. */
let ones = new Float32Array(0);
const onesOf = (batch: number): Float32Array => (ones.length >= batch ? ones : (ones = new Float32Array(batch).fill(1))).subarray(0, batch);

function backwardKernel(blas: NativeBlas, memory: Memory, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const { dy, x, y, w, effective: given } = inputs as Record<string, TensorInfo>;
  const passes = passesOf(blas);
  const [batch, k] = sizes(x!, a);
  const n = w!.shape[1]!;
  const mask = effectiveMask(memory, inputs.mask);
  const g = a.relu ? reluGradient(passes, memory, dy!, y!) : dy!;
  const effective = a.needInput ? (given ?? (mask === undefined ? w! : maskedWeight(passes, memory, w!, mask))) : undefined;
  const [db, product] = [memory.alloc([n]), memory.alloc([k, n])];
  const dx = a.needInput ? memory.alloc([...x!.shape]) : undefined;
  blas.gemm(false, false, 1, n, batch, onesOf(batch), memory.floats(g), memory.floats(db), null);
  // dx = g · effᵀ, or transposed, dxᵀ = eff · gᵀ.
  if (dx !== undefined && a.transposed) blas.gemm(false, true, k, batch, n, memory.floats(effective!), memory.floats(g), memory.floats(dx), null);
  else if (dx !== undefined) blas.gemm(false, true, batch, k, n, memory.floats(g), memory.floats(effective!), memory.floats(dx), null);
  if (effective !== undefined && effective !== w && effective !== given) memory.dispose(effective);
  // dw = xᵀ · g ⊙ mask: a pruned connection's gradient is exactly zero, so no optimizer ever moves it.
  const dw = productThen(blas, memory, product, { relu: false, ...(mask === undefined ? {} : { mask }) }, () => [
    !a.transposed,
    false,
    k,
    n,
    batch,
    memory.floats(x!),
    memory.floats(g),
    memory.floats(product),
    null,
  ]);
  if (g !== dy) memory.dispose(g);
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
