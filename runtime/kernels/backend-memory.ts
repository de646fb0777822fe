/**
 * TensorFlow.js's WASM and CPU backends as our kernels read them in place:
 * the WASM heap and a tensor's offset in it, the CPU backend's arrays. These
 * are the backends' internals, not public API, so they are described once,
 * here, for every kernel that works on them (the native products and
 * convolutions, the fused Adam, the input check, the graph kernels' memory),
 * with the heap's allocator giving buffers and outputs that start on a cache
 * line.
 */
import type { DataType, KernelBackend, TensorInfo } from "@tensorflow/tfjs-core";

/** The parts of the WASM backend used in place. */
export interface WasmBackendInternals {
  readonly wasm: {
    readonly asm?: { readonly memory?: { readonly buffer: ArrayBufferLike } };
    readonly wasmMemory?: { readonly buffer: ArrayBufferLike };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
}

/** The parts of the CPU backend used. */
export interface CpuBackendInternals {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The WASM heap now. Take it only after allocating outputs: allocating may grow (and so replace) the memory's buffer. */
export function wasmHeap(internals: Pick<WasmBackendInternals, "wasm">): ArrayBufferLike {
  return (internals.wasm.asm?.memory ?? internals.wasm.wasmMemory)!.buffer;
}

/** A tensor's byte offset in the WASM heap, or undefined for one the backend does not hold. */
export function heapOffset(internals: Pick<WasmBackendInternals, "dataIdMap">, info: Pick<TensorInfo, "dataId">): number | undefined {
  const data = internals.dataIdMap.get(info.dataId);
  return data === undefined ? undefined : data.memoryOffset >>> 0;
}

/**
 * Buffers and outputs made here start on a cache line, and buffers are cut in whole lines: TensorFlow.js's WASM allocator
 * returns 8-byte alignment, and rows that start mid-line split every 64-byte vector of the native kernels in two (in a C
 * harness over WS 10,000's rows, 8 bytes off a line made the graph kernel's forward 14-40% slower, its backward 12-15%).
 */
export const LINE = 64;
export const lines = (bytes: number): number => Math.ceil(Math.max(bytes, 4) / LINE) * LINE;

/** `bytes` from the WASM backend's allocator starting on a line: `raw` to free, `pointer` to use (0 for both when out of memory). */
export function allocateLines(internals: Pick<WasmBackendInternals, "wasm">, bytes: number): { raw: number; pointer: number } {
  // Addresses past 2 GiB come back from the allocator as negative int32s.
  const raw = internals.wasm._malloc(bytes + LINE) >>> 0;
  return { raw, pointer: raw === 0 ? 0 : Math.ceil(raw / LINE) * LINE };
}

/**
 * Per backend, the allocator's address of each output lineOutput made, by the address the output starts at. TensorFlow.js
 * frees an output's data at the address it was given (disposeData's `_free(memoryOffset)`), and its WASM module exports no
 * aligned allocator, so the backend's `_free` is wrapped once to free what the allocator returned.
 */
const outputRaws = new WeakMap<object, Map<number, number>>();

/** A TensorFlow.js output of float32 or int32 on the WASM backend whose data starts on a cache line. */
export function lineOutput(internals: WasmBackendInternals, shape: number[], dtype: "float32" | "int32" = "float32"): TensorInfo {
  let raws = outputRaws.get(internals);
  if (raws === undefined) {
    const table = new Map<number, number>();
    // Emscripten's `_free` replaces itself with the module's export on its first call; free(0) does nothing.
    internals.wasm._free(0);
    const free = internals.wasm._free;
    internals.wasm._free = (pointer) => {
      const raw = table.get(pointer);
      if (raw !== undefined) table.delete(pointer);
      free(raw ?? pointer);
    };
    outputRaws.set(internals, (raws = table));
  }
  const { raw, pointer } = allocateLines(internals, 4 * size(shape));
  if (pointer === 0) throw new Error(`the WASM backend is out of memory for an output of shape [${shape.join(", ")}]`);
  raws.set(pointer, raw);
  return internals.makeOutput(shape, dtype, pointer);
}

/** A native call on the kernel's inputs (in order, null where absent) and its one output, each as floats. */
export type NativeCall = (inputs: (Float32Array | null)[], output: Float32Array) => void;

/** Runs `call` on the backend's own memory — the WASM heap in place, or the CPU backend's arrays — into a new float32 output of `shape`. */
export function onBackend(backendName: string, backend: KernelBackend, inputs: (TensorInfo | undefined)[], shape: number[], call: NativeCall): TensorInfo {
  if (backendName === "wasm") {
    const internals = backend as unknown as WasmBackendInternals;
    const out = lineOutput(internals, shape);
    const buffer = wasmHeap(internals);
    const view = (info: TensorInfo): Float32Array => new Float32Array(buffer, heapOffset(internals, info)!, size(info.shape));
    call(
      inputs.map((info) => (info === undefined ? null : view(info))),
      view(out),
    );
    return out;
  }
  const internals = backend as unknown as CpuBackendInternals;
  const floats = (info: TensorInfo): Float32Array => {
    const values = internals.readSync(info.dataId);
    return values instanceof Float32Array ? values : Float32Array.from(values);
  };
  const out = new Float32Array(size(shape));
  call(
    inputs.map((info) => (info === undefined ? null : floats(info))),
    out,
  );
  return internals.makeTensorInfo(shape, "float32", out);
}
