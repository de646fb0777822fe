/**
 * The graph kernel's forward, backward and layout changes (transposeIn,
 * pickRows) on the native part (native/graph.c) in place of graph.wat's, where the native part is loaded and on: the same
 * arguments, byte offsets into the memory the kernel works on, so a call
 * site cannot tell them apart but for speed (and float32 rounding: the C
 * code sums blocks of samples, and its exp and tanh are the C library's).
 * DEEPSTRUCT_NATIVE=0 or useNativeDense(false) turns it off with the dense products.
 */
import type { GraphBackwardArgs, GraphExports, WasmMemory } from "../graph/memory.js";
import { nativeDenseBlas } from "./dense-product.js";
import type { NativeBlas } from "./load.js";

let enabled = true;

/** Turns the native graph kernel off (false) or back on where available (true), leaving the dense products as they are: for comparing the two in one process. */
export function useNativeGraph(on: boolean): void {
  enabled = on;
}

/** Whether the native graph kernel runs now (loaded, on, and the build has it), where the graph kernel runs. */
export function nativeGraphActive(): boolean {
  const blas = enabled ? nativeDenseBlas() : undefined;
  return blas?.graphForward !== undefined && blas.graphBackward !== undefined && blas.graphTransposeIn !== undefined && blas.graphPickRows !== undefined;
}

/** Per graph.wat instance (one per memory), its native counterpart: made once, not on every kernel call (~10 µs). */
const nativeCode = new WeakMap<GraphExports, GraphExports>();

/** `code` with forward and backward replaced by the native ones, or `code` itself without them. */
export function withNativeGraph(code: GraphExports, memory: WasmMemory): GraphExports {
  // An addon built before the graph kernel was added has only the products.
  if (!nativeGraphActive()) return code;
  let native = nativeCode.get(code);
  if (native === undefined) nativeCode.set(code, (native = nativeExports(code, memory)));
  return native;
}

function nativeExports(code: GraphExports, memory: WasmMemory): GraphExports {
  const blas = nativeDenseBlas()!;
  const { graphForward, graphBackward, graphTransposeIn, graphPickRows } = blas as Required<NativeBlas>;
  // The memory's view, made again only once growth has replaced its buffer.
  let view = new Float32Array(memory.buffer);
  const floats = (): Float32Array => (view.buffer === memory.buffer ? view : (view = new Float32Array(memory.buffer)));
  const seeded = blas.graphBackwardSeeded;
  const bandWidth = blas.graphBandWidth;
  // `bands` only past one: the JavaScript lays out more only where bandWidth exists, and a build before bands takes none.
  const banded = (bands: number | undefined): [] | [number] => (bands === undefined || bands === 1 ? [] : [bands]);
  return {
    ...code,
    transposeIn: (x, batch, cols, xt, bp) => graphTransposeIn(floats(), x, batch, cols, xt, bp),
    pickRows: (h, bp, rows, count, out, batch, add) => graphPickRows(floats(), h, bp, rows, count, out, batch, add),
    forward: (xt, r, h, n, bp, weff, bias, start, source, activated, kind, _addresses, bands) =>
      graphForward(floats(), xt, r, h, n, bp, weff, bias, start, source, activated, kind, ...banded(bands)),
    backward: (g, h, xt, r, n, bp, weff, start, source, activated, kind, dxt, dweff, db, needInput, bands) =>
      graphBackward(floats(), g, h, xt, r, n, bp, weff, start, source, activated, kind, dxt, dweff, db, needInput, ...banded(bands)),
    ...(seeded === undefined ? {} : { backwardSeeded: (...args) => seeded(floats(), ...(args.slice(0, 17) as [...GraphBackwardArgs, number, number]), ...banded(args[17])) }),
    ...(bandWidth === undefined ? {} : { bandWidth: (rows, bp) => bandWidth(rows, bp) }),
  };
}
