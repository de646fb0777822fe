/**
 * TensorFlow.js's WASM and CPU backends as our kernels read them in place:
 * the WASM heap and a tensor's offset in it, the CPU backend's arrays. These
 * are the backends' internals, not public API, so they are described once,
 * here, for every kernel that works on them (the native products and
 * convolutions, the fused Adam, the input check; graph/memory.ts adds the
 * heap's allocator).
 */
import type { DataType, KernelBackend, TensorInfo } from "@tensorflow/tfjs-core";

/** The parts of the WASM backend used in place. */
export interface WasmBackendInternals {
  readonly wasm: { readonly asm?: { readonly memory?: { readonly buffer: ArrayBufferLike } }; readonly wasmMemory?: { readonly buffer: ArrayBufferLike } };
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

/** The parts of the CPU backend used. */
export interface CpuBackendInternals {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

/** The WASM heap now. Take it only after allocating outputs: allocating may grow (and so replace) the memory's buffer. */
export function wasmHeap(internals: Pick<WasmBackendInternals, "wasm">): ArrayBufferLike {
  return (internals.wasm.asm?.memory ?? internals.wasm.wasmMemory)!.buffer;
}

/** A tensor's byte offset in the WASM heap, or undefined for one the backend does not hold. */
export function heapOffset(internals: Pick<WasmBackendInternals, "dataIdMap">, info: Pick<TensorInfo, "dataId">): number | undefined {
  const data = internals.dataIdMap.get(info.dataId);
  return data === undefined ? undefined : data.memoryOffset >>> 0;
}

/** A native call on the kernel's inputs (in order, null where absent) and its one output, each as floats. */
export type NativeCall = (inputs: (Float32Array | null)[], output: Float32Array) => void;

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs `call` on the backend's own memory — the WASM heap in place, or the CPU backend's arrays — into a new float32 output of `shape`. */
export function onBackend(backendName: string, backend: KernelBackend, inputs: (TensorInfo | undefined)[], shape: number[], call: NativeCall): TensorInfo {
  if (backendName === "wasm") {
    const internals = backend as unknown as WasmBackendInternals;
    const out = internals.makeOutput(shape, "float32");
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
