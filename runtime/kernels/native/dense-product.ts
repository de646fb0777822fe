/**
 * The dense kernels' matrix products: `op(a) · op(b) (+ bias)`, on the native
 * BLAS (load.ts) where it is loaded and the backend is TensorFlow.js's WASM
 * or CPU backend, otherwise on TensorFlow.js's own matMul.
 *
 * On the WASM backend the addon reads and writes the backend's heap in place
 * (a Float32Array view on its memory: nothing is copied); on the CPU backend
 * it works on the backend's own arrays. BLAS transposes as it multiplies, so
 * the gradients' `aᵀ · b` and `a · bᵀ` cost what the plain product costs;
 * TensorFlow.js's path (../tfjs-product.ts) keeps the explicit transposes.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, Tensor, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";
import { nativeStatus, type NativeBlas } from "./load.js";
import { onBackend } from "../backend-memory.js";
import { checkThreadCount } from "../native-shared.js";
import { tfjsProduct, type ProductOptions } from "../tfjs-product.js";

export type { ProductOptions };

const KERNEL = "DeepstructNativeMatMul";

interface Attributes {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** [m, n, k] of op(a) · op(b), or an error naming the shapes that do not fit. */
function dimensions({ a, b, bias }: NamedTensorInfoMap, { transposeA, transposeB }: Attributes): [number, number, number] {
  if (a === undefined || b === undefined) throw new Error("native dense product: needs inputs a and b");
  const [ar, ac] = a.shape as [number, number];
  const [br, bc] = b.shape as [number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== kb) throw new Error(`native dense product: [${a.shape}]${transposeA ? "ᵀ" : ""} · [${b.shape}]${transposeB ? "ᵀ" : ""}: inner sizes ${k} and ${kb} differ`);
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n)) throw new Error(`native dense product: a bias of shape [${bias.shape}] for ${n} columns`);
  return [m, n, k];
}

function product(backendName: string, blas: NativeBlas, backend: KernelBackend, inputs: NamedTensorInfoMap, attrs: Attributes): TensorInfo {
  const [m, n, k] = dimensions(inputs, attrs);
  return onBackend(backendName, backend, [inputs.a, inputs.b, inputs.bias], [m, n], ([a, b, bias], c) =>
    blas.gemm(attrs.transposeA, attrs.transposeB, m, n, k, a!, b!, c, bias ?? null),
  );
}

let registered = false;

function register(blas: NativeBlas): void {
  if (registered) return;
  registered = true;
  for (const backendName of ["wasm", "cpu"]) {
    tf.registerKernel({
      kernelName: KERNEL,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
        product(backendName, blas, backend as KernelBackend, inputs, attrs as unknown as Attributes),
    });
  }
}

let enabled = true;

/** Turns the native products off (false) or back on where available (true): for comparing the two in one process. */
export function useNativeDense(on: boolean): void {
  enabled = on;
}

/** The native BLAS, when it is on, loaded, and the current backend is one it runs on. */
export function nativeDenseBlas(): NativeBlas | undefined {
  if (!enabled) return undefined;
  const backend = tf.getBackend();
  if (backend !== "wasm" && backend !== "cpu") return undefined;
  const status = nativeStatus();
  return status.available ? status.blas : undefined;
}

/** Whether dense products run natively now (on the current backend). */
export function nativeDenseActive(): boolean {
  return nativeDenseBlas() !== undefined;
}

/** op(a) · op(b) (+ bias): natively where it can, else by TensorFlow.js's matMul with explicit transposes. */
export function denseProduct(a: Tensor2D, b: Tensor2D, options: ProductOptions = {}): Tensor2D {
  const attrs: Attributes = { transposeA: options.transposeA ?? false, transposeB: options.transposeB ?? false };
  const blas = nativeDenseBlas();
  if (blas !== undefined && a.dtype === "float32" && b.dtype === "float32") {
    register(blas);
    const inputs: Record<string, Tensor> = { a, b, ...(options.bias === undefined ? {} : { bias: options.bias }) };
    return tf.engine().runKernel(KERNEL, inputs, attrs as unknown as NamedAttrMap) as Tensor2D;
  }
  return tfjsProduct(a, b, options);
}

/** The native part's thread count (its pool's, for products and graph kernel alike), or undefined without the native part. */
export function nativeThreads(): number | undefined {
  const status = nativeStatus();
  return status.available ? status.blas.threads() : undefined;
}

/** Sets the native part's thread count (1 … cores; the pool has at most 8); a no-op without the native part. */
export function setNativeThreads(threads: number): void {
  checkThreadCount(threads);
  const status = nativeStatus();
  if (status.available) status.blas.setThreads(threads);
}
