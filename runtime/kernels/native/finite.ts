/**
 * The Model's input check on the native part: the first NaN or infinite
 * entry of a float32 tensor on the WASM backend, read where it lies in the
 * heap (no copy out, one vectorised pass). On a fast forward pass the
 * JavaScript scan of a copy took as long as the network.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";
import { nativeDenseBlas } from "./dense-product.js";
import { heapOffset, wasmHeap, type WasmBackendInternals } from "../backend-memory.js";

/** The index of x's first non-finite entry, −1 for none, or undefined where the native part cannot look (the caller scans instead). */
export function nativeNonFiniteIndex(x: Tensor): number | undefined {
  const blas = nativeDenseBlas();
  if (blas?.firstNonFinite === undefined || x.dtype !== "float32" || tf.getBackend() !== "wasm") return undefined;
  const internals = tf.backend() as unknown as WasmBackendInternals;
  const offset = heapOffset(internals, x);
  if (offset === undefined) return undefined;
  return blas.firstNonFinite(new Float32Array(wasmHeap(internals)), offset, x.size);
}
