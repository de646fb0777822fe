/**
 * The Model's input check on the native part: the first NaN or infinite
 * entry of a float32 tensor on the WASM backend, read where it lies in the
 * heap (no copy out, one vectorised pass). On a fast forward pass the
 * JavaScript scan of a copy took as long as the network.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";
import { nativeDenseBlas } from "./dense-product.js";

/** The parts of the WASM backend used here (as in dense-product.ts). */
interface WasmBackendInternals {
  readonly wasm: { readonly asm?: { readonly memory?: { readonly buffer: ArrayBufferLike } }; readonly wasmMemory?: { readonly buffer: ArrayBufferLike } };
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset: number } | undefined };
}

/** The index of x's first non-finite entry, −1 for none, or undefined where the native part cannot look (the caller scans instead). */
export function nativeNonFiniteIndex(x: Tensor): number | undefined {
  const blas = nativeDenseBlas();
  if (blas?.firstNonFinite === undefined || x.dtype !== "float32" || tf.getBackend() !== "wasm") return undefined;
  const internals = tf.backend() as unknown as WasmBackendInternals;
  const data = internals.dataIdMap.get(x.dataId);
  if (data === undefined) return undefined;
  const buffer = (internals.wasm.asm?.memory ?? internals.wasm.wasmMemory)!.buffer;
  return blas.firstNonFinite(new Float32Array(buffer), data.memoryOffset >>> 0, x.size);
}
