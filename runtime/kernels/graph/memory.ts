/**
 * Where the graph kernel's WebAssembly code finds its data. On TensorFlow.js's
 * WASM backend the kernel imports the backend's own memory, so tensors are
 * read and written in place and scratch space comes from the backend's
 * allocator. On the CPU backend it runs on a private memory: inputs are
 * copied in and outputs copied out. Either way a {@link Workspace} lives for
 * one kernel call and frees its scratch when released.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";
import { GRAPH_WASM_BASE64 } from "./graph-wasm.js";

/** The functions graph.wat exports (pointers are byte offsets, flags 0 or 1). */
export interface GraphExports {
  transposeIn(x: number, batch: number, cols: number, xt: number, bp: number): void;
  pickRows(h: number, bp: number, rows: number, count: number, out: number, batch: number, add: number): void;
  gatherColumns(x: number, batch: number, cols: number, idx: number, count: number, out: number): void;
  scatterColumns(dy: number, batch: number, count: number, idx: number, dx: number, cols: number): void;
  placeParameters(table: number, members: number, weff: number, bias: number): void;
  takeGradients(table: number, members: number, dweff: number, db: number, masked: number): void;
  forward(xt: number, r: number, h: number, n: number, bp: number, weff: number, bias: number, start: number, source: number, activated: number, kind: number, addresses: number): void;
  backward(
    g: number, h: number, xt: number, r: number, n: number, bp: number, weff: number, start: number, source: number,
    activated: number, kind: number, dxt: number, dweff: number, db: number, needInput: number,
  ): void;
}

export interface Workspace {
  readonly code: GraphExports;
  /** Address of an input tensor's data. */
  input(info: TensorInfo): number;
  /** A new output tensor of `shape`: its address now, its TensorInfo once written. */
  output(shape: number[], dtype?: DataType): { readonly pointer: number; finish(): TensorInfo };
  /** `bytes` of zeroed scratch space, freed by `release`. */
  scratch(bytes: number): number;
  /** The memory as floats or integers (views are renewed when memory grows). */
  f32(): Float32Array;
  i32(): Int32Array;
  release(): void;
}

/** The parts of the WebAssembly API this file uses (the project's type libraries do not include the DOM's). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WebAssemblyApi {
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: { env: { memory: WasmMemory } }) => { readonly exports: object };
}
const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** The parts of the WASM backend this file uses. */
interface WasmBackendInternals {
  readonly wasm: {
    readonly asm?: { readonly memory?: WasmMemory };
    readonly wasmMemory?: WasmMemory;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

/** The parts of the CPU backend this file uses. */
interface CpuBackendInternals {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array | Int32Array): TensorInfo;
}

let compiled: object | undefined;
const instances = new WeakMap<WasmMemory, GraphExports>();

function graphCode(memory: WasmMemory): GraphExports {
  let code = instances.get(memory);
  if (code === undefined) {
    if (webAssembly === undefined) throw new Error("graph kernel: WebAssembly is not available on this platform");
    if (compiled === undefined) {
      const binary = atob(GRAPH_WASM_BASE64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      compiled = new webAssembly.Module(bytes);
    }
    code = new webAssembly.Instance(compiled, { env: { memory } }).exports as unknown as GraphExports;
    instances.set(memory, code);
  }
  return code;
}

/**
 * Whether the graph kernel can run on the current backend: WebAssembly must
 * exist, and on the WASM backend its memory must be one the kernel can share
 * (the multi-threaded build's shared memory is not).
 */
export function graphKernelAvailable(): boolean {
  if (webAssembly === undefined) return false;
  try {
    const backend = tf.backend();
    (tf.getBackend() === "wasm" ? wasmWorkspace(backend) : cpuWorkspace(backend)).release();
    return true;
  } catch {
    return false;
  }
}

const bytesOf = (shape: readonly number[]): number => 4 * shape.reduce((a, b) => a * b, 1);

export function wasmWorkspace(backend: KernelBackend): Workspace {
  const internals = backend as unknown as WasmBackendInternals;
  const memory = internals.wasm.asm?.memory ?? internals.wasm.wasmMemory;
  if (memory === undefined) throw new Error("graph kernel: the WASM backend does not expose its memory");
  const code = graphCode(memory);
  const allocated: number[] = [];
  return {
    code,
    input: (info) => {
      const data = internals.dataIdMap.get(info.dataId);
      if (data === undefined) throw new Error("graph kernel: an input tensor has no data on the WASM backend");
      return data.memoryOffset >>> 0;
    },
    output: (shape, dtype = "float32") => {
      const info = internals.makeOutput(shape, dtype);
      return { pointer: internals.dataIdMap.get(info.dataId)!.memoryOffset >>> 0, finish: () => info };
    },
    scratch: (bytes) => {
      // Addresses past 2 GiB come back from the allocator as negative int32s.
      const pointer = internals.wasm._malloc(Math.max(bytes, 4)) >>> 0;
      allocated.push(pointer);
      new Uint8Array(memory.buffer, pointer, bytes).fill(0);
      return pointer;
    },
    f32: () => new Float32Array(memory.buffer),
    i32: () => new Int32Array(memory.buffer),
    release: () => {
      for (const pointer of allocated) internals.wasm._free(pointer);
      allocated.length = 0;
    },
  };
}

/** One private memory for the CPU backend, reused call after call (JavaScript runs one kernel at a time). */
let cpuMemory: WasmMemory | undefined;

export function cpuWorkspace(backend: KernelBackend): Workspace {
  const internals = backend as unknown as CpuBackendInternals;
  cpuMemory ??= new webAssembly!.Memory({ initial: 16 });
  const memory = cpuMemory;
  const code = graphCode(memory);
  // A bump allocator from 16; everything is dropped at release.
  let top = 16;
  const allocate = (bytes: number): number => {
    const pointer = top;
    top += Math.ceil(Math.max(bytes, 4) / 16) * 16;
    const missing = top - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    new Uint8Array(memory.buffer, pointer, bytes).fill(0);
    return pointer;
  };
  return {
    code,
    input: (info) => {
      const values = internals.readSync(info.dataId);
      const pointer = allocate(4 * values.length);
      if (info.dtype === "int32") new Int32Array(memory.buffer, pointer, values.length).set(values);
      else new Float32Array(memory.buffer, pointer, values.length).set(values);
      return pointer;
    },
    output: (shape, dtype = "float32") => {
      const pointer = allocate(bytesOf(shape));
      return {
        pointer,
        finish: () => {
          const count = bytesOf(shape) / 4;
          const values = dtype === "int32" ? new Int32Array(memory.buffer, pointer, count).slice() : new Float32Array(memory.buffer, pointer, count).slice();
          return internals.makeTensorInfo(shape, dtype, values);
        },
      };
    },
    scratch: allocate,
    f32: () => new Float32Array(memory.buffer),
    i32: () => new Int32Array(memory.buffer),
    release: () => {
      top = 16;
    },
  };
}

/**
 * Registers a kernel written on graph.wat for the WASM and CPU backends: the
 * body gets a workspace, which is released however it ends. A body returns
 * one TensorInfo for a one-output kernel (TensorFlow.js then hands out a
 * tensor, not a list).
 */
export function registerWasmKernel(kernelName: string, body: (ws: Workspace, inputs: NamedTensorInfoMap, attrs: NamedAttrMap) => TensorInfo | TensorInfo[]): void {
  for (const [backendName, workspace] of [
    ["wasm", wasmWorkspace],
    ["cpu", cpuWorkspace],
  ] as const) {
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
        const ws = workspace(backend as KernelBackend);
        try {
          return body(ws, inputs, attrs ?? {});
        } finally {
          ws.release();
        }
      },
    });
  }
}
