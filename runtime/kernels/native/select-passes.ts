/**
 * The pruning selection's passes (pruning/select-passes.ts) on the native
 * part (native/select.c), on the same arrays, nothing copied.
 */
import type { SelectPasses } from "../../pruning/select-passes.js";
import { nativeStatus, type NativeBlas } from "./load.js";

/** The passes as native/select.c exports them (absent from builds before it). */
interface NativeSelect {
  selectHistogramHigh(values: readonly Float32Array[], masks: readonly Uint8Array[], counts: Uint32Array, live: Float64Array): void;
  selectHistogramLow(values: readonly Float32Array[], masks: readonly Uint8Array[], high: number, counts: Uint32Array): void;
  selectSwitchOff(values: readonly Float32Array[], masks: readonly Uint8Array[], threshold: number, ties: number, off: Float64Array): void;
}

/** The native passes, or undefined where the addon is off, missing, or older than them. */
export function nativePasses(): SelectPasses | undefined {
  const status = nativeStatus();
  if (!status.available) return undefined;
  const blas = status.blas as NativeBlas & Partial<NativeSelect>;
  const { selectHistogramHigh: high, selectHistogramLow: low, selectSwitchOff: switchOff } = blas;
  if (high === undefined || low === undefined || switchOff === undefined) return undefined;
  return { histogramHigh: high.bind(blas), histogramLow: low.bind(blas), switchOff: switchOff.bind(blas) };
}
