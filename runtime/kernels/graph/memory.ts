/**
 * Where the graph kernel's WebAssembly code finds its data. On TensorFlow.js's
 * WASM backend the kernel imports the backend's own memory, so tensors are
 * read and written in place and scratch space comes from the backend's
 * allocator. On the CPU backend it runs on a private memory: inputs are
 * copied in and outputs copied out. Either way a {@link Workspace} lives for
 * one kernel call and frees its scratch when released.
 *
 * The WASM backend's memory is a plain one in its single-threaded builds and
 * a shared one (a SharedArrayBuffer) in its threaded build, which
 * TensorFlow.js picks where threads are available (cross-origin-isolated
 * pages). A memory links only to an import of the same shared state, so
 * graph.wat is assembled twice (see scripts/wasm-module.ts) and the binary is
 * chosen by looking at the memory.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";
import { GRAPH_WASM_BASE64, GRAPH_WASM_SHARED_BASE64 } from "./graph-wasm.js";
import { withNativeGraph } from "../native/index.js";
import { shareIdentityOnWasm } from "../shared-identity.js";
import { allocateLines, LINE, lineOutput, lines, type WasmBackendInternals as SharedWasmInternals } from "../backend-memory.js";

/** The functions graph.wat exports (pointers are byte offsets, flags 0 or 1). */
export interface GraphExports {
  transposeIn(x: number, batch: number, cols: number, xt: number, bp: number): void;
  /** `add` 0 reads the rows into `out`, 1 adds `out` into them; the native part's also takes 2: the rows zeroed whole, then added into. */
  pickRows(h: number, bp: number, rows: number, count: number, out: number, batch: number, add: number): void;
  gatherColumns(x: number, batch: number, cols: number, idx: number, count: number, out: number): void;
  scatterColumns(dy: number, batch: number, count: number, idx: number, dx: number, cols: number): void;
  /** to[idx[j]] = from[j] for j < count (float32 entries, int32 indices). */
  scatterEntries(from: number, idx: number, count: number, to: number): void;
  placeParameters(table: number, members: number, weff: number, bias: number): void;
  takeGradients(table: number, members: number, dweff: number, db: number, masked: number): void;
  forward(...args: [...GraphForwardArgs, addresses: number, bands?: number]): void;
  backward(...args: [...GraphBackwardArgs, bands?: number]): void;
  /**
   * `backward` where only g's rows of the `seedCount` neurons listed at `seeds` (int32) hold the incoming gradient: every
   * other row of g, and dxt, may hold anything and are written, not added into, so neither needs zeroing first (the
   * native part's; graph.wat has none).
   */
  backwardSeeded?(...args: [...GraphBackwardArgs, seeds: number, seedCount: number, bands?: number]): void;
  /**
   * The samples per band for a kernel of `rows` rows (inputs and neurons) of bp samples (the native part's, native/graph.c's
   * graph_band_width): bp, or less where the rows outgrow a core's caches. Then xt, h, g and dxt hold `bands` blocks of
   * [rows, width] one after another, which forward and backward take as their last argument. Without it (graph.wat), one
   * band of bp.
   */
  bandWidth?(rows: number, bp: number): number;
}

/** graph.wat's forward's arguments but for its address scratch. */
export type GraphForwardArgs = [
  xt: number,
  r: number,
  h: number,
  n: number,
  bp: number,
  weff: number,
  bias: number,
  start: number,
  source: number,
  activated: number,
  kind: number,
];
/** graph.wat's backward's arguments. */
export type GraphBackwardArgs = [
  g: number,
  h: number,
  xt: number,
  r: number,
  n: number,
  bp: number,
  weff: number,
  start: number,
  source: number,
  activated: number,
  kind: number,
  dxt: number,
  dweff: number,
  db: number,
  needInput: number,
];

export interface Workspace {
  readonly code: GraphExports;
  /** Address of an input tensor's data. */
  input(info: TensorInfo): number;
  /** A new output tensor of `shape`: its address now, its TensorInfo once written. */
  output(shape: number[], dtype?: "float32" | "int32"): { readonly pointer: number; finish(): TensorInfo };
  /**
   * On the WASM backend, an output whose data is a float32 buffer of `shape`
   * held across calls under `key` (zeroed when made), handed out with one more
   * reference rather than copied: for outputs mostly zero whose zeros never
   * move (a pruned weight's gradient, written at its live entries only; a
   * gradient of zeros). With `writes`, undefined while a tensor handed out
   * before is still alive, so no one sees a buffer change under them; undefined
   * on the CPU backend. `zeroed`: nothing was written to it since it was made.
   */
  held?(key: object, shape: readonly number[], writes: boolean): HeldOutput | undefined;
  /**
   * On the WASM backend, `bytes` kept under `key` from call to call, all zero when handed out; undefined on the CPU backend,
   * while a call holds it, or with zeroEveryScratch. For a large buffer a kernel adds into: the kernel zeroes it again with
   * `zeroAgain()` as soon as it is done with it, while it is still in cache, rather than the next call zeroing it cold (a WS
   * 10,000 kernel's 9.2 MB gradient by neuron: ~0.6 ms a call hot, ~1.0 ms cold). A call that ends without `zeroAgain()` (an
   * error) leaves it to the next call to zero.
   */
  keptZeros?(key: object, bytes: number): KeptZeros | undefined;
  /** `bytes` of zeroed scratch space, freed by `release`: for a buffer the kernel adds into. */
  scratch(bytes: number): number;
  /**
   * `bytes` of scratch space as the last call left it, freed by `release`: for a buffer the kernel writes in full before it
   * reads it, which zeroing would only cost (a graph kernel's gathered weights, its effective weights and their gradient).
   */
  unzeroedScratch(bytes: number): number;
  /** The memory as floats or integers (views are renewed when memory grows). */
  f32(): Float32Array;
  i32(): Int32Array;
  release(): void;
}

export interface KeptZeros {
  readonly pointer: number;
  zeroAgain(): void;
}

export interface HeldOutput {
  readonly pointer: number;
  readonly zeroed: boolean;
  finish(): TensorInfo;
}

/** The parts of the WebAssembly API this file uses (the project's type libraries do not include the DOM's). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WebAssemblyApi {
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: { env: { memory: WasmMemory } }) => { readonly exports: object };
}
const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** The parts of the WASM backend this file uses. */
interface WasmBackendInternals extends SharedWasmInternals {
  readonly wasm: SharedWasmInternals["wasm"] & { readonly asm?: { readonly memory?: WasmMemory }; readonly wasmMemory?: WasmMemory };
  refCount(dataId: object): number;
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

/** Buffers held for `Workspace.held`, by key, with the backend they live on and whether one has been written to. */
const heldBuffers = new WeakMap<object, { info: TensorInfo; backend: WasmBackendInternals; written: boolean }>();

/** Frees the buffer held under `key`, if any (its last reference: a tensor handed out and still alive keeps the data until it is disposed). */
export function releaseHeld(key: object): void {
  const held = heldBuffers.get(key);
  if (held === undefined) return;
  heldBuffers.delete(key);
  held.backend.disposeData(held.info.dataId);
}

function heldOutput(internals: WasmBackendInternals, memory: WasmMemory, key: object, shape: readonly number[], writes: boolean): HeldOutput | undefined {
  let held = heldBuffers.get(key);
  if (held !== undefined && held.info.shape.join() !== shape.join()) (releaseHeld(key), (held = undefined));
  if (held === undefined) {
    const info = lineOutput(internals, [...shape], "float32");
    const at = internals.dataIdMap.get(info.dataId)!.memoryOffset >>> 0;
    new Uint8Array(memory.buffer, at, bytesOf(shape)).fill(0);
    held = { info, backend: internals, written: false };
    heldBuffers.set(key, held);
  } else if (writes && internals.refCount(held.info.dataId) > 1) return undefined;
  const entry = held;
  const zeroed = !entry.written;
  if (writes) entry.written = true;
  const pointer = internals.dataIdMap.get(entry.info.dataId)!.memoryOffset >>> 0;
  return {
    pointer,
    zeroed,
    finish: () => {
      internals.incRef(entry.info.dataId);
      return { dataId: entry.info.dataId, shape: entry.info.shape, dtype: "float32" };
    },
  };
}

/** Buffers kept for `Workspace.keptZeros`, by key: `zero` when nothing has been added into them since they were last zeroed. */
const keptZeroBuffers = new WeakMap<object, { raw: number; pointer: number; bytes: number; zero: boolean; busy: boolean; backend: WasmBackendInternals }>();

/** Frees the buffer kept under `key` for `Workspace.keptZeros`, if any. */
export function releaseKeptZeros(key: object): void {
  const kept = keptZeroBuffers.get(key);
  if (kept === undefined) return;
  keptZeroBuffers.delete(key);
  kept.backend.wasm._free(kept.raw);
}

/** `Workspace.keptZeros` on the WASM backend; `handedOut` collects what the workspace must give back at release. */
function keptZeros(internals: WasmBackendInternals, memory: WasmMemory, key: object, bytes: number, handedOut: { busy: boolean }[]): KeptZeros | undefined {
  let kept = keptZeroBuffers.get(key);
  if (zeroEvery || kept?.busy === true) return undefined;
  // Another size (another batch) or a buffer of another backend's memory: made again.
  if (kept !== undefined && (kept.bytes !== bytes || kept.backend !== internals)) (releaseKeptZeros(key), (kept = undefined));
  if (kept === undefined) {
    const { raw, pointer } = allocateLines(internals, bytes);
    if (pointer === 0) return undefined;
    kept = { raw, pointer, bytes, zero: false, busy: false, backend: internals };
    keptZeroBuffers.set(key, kept);
  }
  const entry = kept;
  if (!entry.zero) new Uint8Array(memory.buffer, entry.pointer, bytes).fill(0);
  entry.zero = false;
  entry.busy = true;
  handedOut.push(entry);
  return {
    pointer: entry.pointer,
    zeroAgain: () => {
      new Uint8Array(memory.buffer, entry.pointer, bytes).fill(0);
      entry.zero = true;
    },
  };
}

/** The parts of the CPU backend this file uses. */
interface CpuBackendInternals {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array | Int32Array): TensorInfo;
}

/** Whether the graph kernel can run on a backend, and if not, why. */
export type GraphKernelSupport = { readonly available: true } | { readonly available: false; readonly reason: string };

/** The two assemblies of graph.wat, by the shared state of the memory they import. */
type MemoryKind = "plain" | "shared";
const BINARIES: Readonly<Record<MemoryKind, string>> = { plain: GRAPH_WASM_BASE64, shared: GRAPH_WASM_SHARED_BASE64 };

/**
 * Whether a memory is shared: its buffer a SharedArrayBuffer. Tested by the
 * buffer's tag, which agrees with `instanceof SharedArrayBuffer` and works
 * even where that global is not defined.
 */
export function isSharedMemory(memory: WasmMemory): boolean {
  return Object.prototype.toString.call(memory.buffer) === "[object SharedArrayBuffer]";
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Each binary compiled once, or the reason it cannot be. */
const compiled = new Map<MemoryKind, object | string>();

function compile(kind: MemoryKind): object | string {
  let module = compiled.get(kind);
  if (module === undefined) {
    if (webAssembly === undefined) return "WebAssembly is not available on this platform";
    const binary = atob(BINARIES[kind]);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    try {
      module = new webAssembly.Module(bytes);
    } catch (error) {
      const needs = kind === "shared" ? "fixed-width SIMD and shared memory (threads)" : "fixed-width SIMD";
      module = `this WebAssembly engine cannot compile graph.wat, which needs ${needs}: ${describe(error)}`;
    }
    compiled.set(kind, module);
  }
  return module;
}

/** The kernel's code per memory, or the reason it cannot run there. */
const instances = new WeakMap<WasmMemory, GraphExports | string>();

function instantiate(memory: WasmMemory): GraphExports | string {
  let code = instances.get(memory);
  if (code === undefined) {
    const kind: MemoryKind = isSharedMemory(memory) ? "shared" : "plain";
    const module = compile(kind);
    if (typeof module === "string") code = module;
    else {
      try {
        code = new webAssembly!.Instance(module, { env: { memory } }).exports as unknown as GraphExports;
      } catch (error) {
        code = `graph.wat cannot import the ${kind} memory it was given: ${describe(error)}`;
      }
    }
    instances.set(memory, code);
  }
  return code;
}

/**
 * The graph kernel's functions working on `memory`: an instance of the
 * plain or the shared-memory binary, as `memory` is plain or shared, made
 * once per memory. Throws, saying why, where it cannot be compiled or linked.
 */
export function graphCode(memory: WasmMemory): GraphExports {
  const code = instantiate(memory);
  if (typeof code === "string") throw new Error(`graph kernel: ${code}`);
  return code;
}

/** Backends the kernels written on graph.wat are registered for. */
const BACKENDS = ["wasm", "cpu"] as const;

/** Per backend instance, once: a backend's memory and the engine under it do not change. */
const support = new WeakMap<KernelBackend, GraphKernelSupport>();

/**
 * Whether the graph kernel (and the other kernels written on graph.wat) can
 * run on the current backend, and if not, why: WebAssembly with fixed-width
 * SIMD must exist, the backend must be TensorFlow.js's WASM or CPU backend,
 * and on the WASM backend the kernel must link to the backend's memory
 * (plain or, for the threaded build, shared).
 */
export function graphKernelSupport(): GraphKernelSupport {
  const backend = tf.backend();
  let result = support.get(backend);
  if (result === undefined) {
    const name = tf.getBackend();
    if (webAssembly === undefined) result = { available: false, reason: "WebAssembly is not available on this platform" };
    else if (!(BACKENDS as readonly string[]).includes(name)) {
      result = { available: false, reason: `the graph kernel runs on the 'wasm' and 'cpu' backends, not on '${name}'` };
    } else {
      try {
        (name === "wasm" ? wasmWorkspace(backend) : cpuWorkspace(backend)).release();
        result = { available: true };
      } catch (error) {
        result = { available: false, reason: describe(error).replace(/^graph kernel: /, "") };
      }
    }
    support.set(backend, result);
  }
  return result;
}

/** Whether the graph kernel can run on the current backend (see {@link graphKernelSupport} for why not). */
export function graphKernelAvailable(): boolean {
  return graphKernelSupport().available;
}

const bytesOf = (shape: readonly number[]): number => 4 * shape.reduce((a, b) => a * b, 1);

let zeroEvery = false;

/**
 * With `on`, `unzeroedScratch` zeroes too, as every scratch was before it existed: for a test that proves a kernel reads
 * no scratch it did not write (the same bits either way, from a block first filled with garbage).
 */
export function zeroEveryScratch(on: boolean): void {
  zeroEvery = on;
}

export function wasmWorkspace(backend: KernelBackend): Workspace {
  const internals = backend as unknown as WasmBackendInternals;
  const memory = internals.wasm.asm?.memory ?? internals.wasm.wasmMemory;
  if (memory === undefined) throw new Error("graph kernel: the WASM backend does not expose its memory (neither `wasm.asm.memory` nor `wasm.wasmMemory`)");
  const code = withNativeGraph(graphCode(memory), memory);
  shareIdentityOnWasm();
  const scratch = scratchSpace(internals);
  const handedOut: { busy: boolean }[] = [];
  return {
    code,
    input: (info) => {
      const data = internals.dataIdMap.get(info.dataId);
      if (data === undefined) throw new Error("graph kernel: an input tensor has no data on the WASM backend");
      return data.memoryOffset >>> 0;
    },
    output: (shape, dtype = "float32") => {
      const info = lineOutput(internals, shape, dtype);
      return { pointer: internals.dataIdMap.get(info.dataId)!.memoryOffset >>> 0, finish: () => info };
    },
    held: (key, shape, writes) => heldOutput(internals, memory, key, shape, writes),
    keptZeros: (key, bytes) => keptZeros(internals, memory, key, bytes, handedOut),
    scratch: (bytes) => {
      const pointer = scratch.take(bytes);
      new Uint8Array(memory.buffer, pointer, bytes).fill(0);
      return pointer;
    },
    unzeroedScratch: (bytes) => {
      const pointer = scratch.take(bytes);
      if (zeroEvery) new Uint8Array(memory.buffer, pointer, bytes).fill(0);
      return pointer;
    },
    f32: () => new Float32Array(memory.buffer),
    i32: () => new Int32Array(memory.buffer),
    release: () => {
      for (const kept of handedOut) kept.busy = false;
      scratch.release();
    },
  };
}

/** One block of the WASM backend's heap kept for scratch space across kernel calls (see scratchSpace). */
interface ScratchBlock {
  /** What the allocator returned, to free; `pointer` is its first line. */
  raw: number;
  pointer: number;
  bytes: number;
  /** A workspace is handing it out now. */
  busy: boolean;
}

const scratchBlocks = new WeakMap<WasmBackendInternals, ScratchBlock>();

/** The largest scratch block kept between calls; a call wanting more allocates the rest as it goes. */
const KEPT_SCRATCH_BYTES = 8 * 1024 * 1024;

/**
 * Scratch space for one kernel call on the WASM backend: cut in whole
 * cache lines (see LINE) from a block of the backend's heap kept from call to call,
 * rather than a `_malloc` and `_free` per scratch (eleven in a graph kernel's
 * backward pass; on a pruned LeNet-300-100 step the allocator's calls took
 * ~70 µs). What does not fit comes from the allocator and is freed at
 * release, and the block grows to the call's need for the next call (up to
 * KEPT_SCRATCH_BYTES). A workspace opened while another one holds the block
 * allocates as before.
 */
function scratchSpace(internals: WasmBackendInternals): { take(bytes: number): number; release(): void } {
  let block = scratchBlocks.get(internals);
  if (block === undefined) scratchBlocks.set(internals, (block = { raw: 0, pointer: 0, bytes: 0, busy: false }));
  const kept = block;
  const owns = !kept.busy;
  kept.busy = true;
  const allocated: number[] = [];
  let used = 0;
  return {
    take: (bytes) => {
      const size = lines(bytes);
      const at = used;
      if (owns) used += size;
      if (owns && used <= kept.bytes) return kept.pointer + at;
      const { raw, pointer } = allocateLines(internals, size);
      allocated.push(raw);
      return pointer;
    },
    release: () => {
      for (const raw of allocated) internals.wasm._free(raw);
      if (!owns) return;
      if (used > kept.bytes && used <= KEPT_SCRATCH_BYTES) {
        if (kept.bytes > 0) internals.wasm._free(kept.raw);
        Object.assign(kept, allocateLines(internals, used));
        // An allocator out of memory returns 0: then no block is kept.
        kept.bytes = kept.pointer === 0 ? 0 : used;
      }
      kept.busy = false;
    },
  };
}

/** One private memory for the CPU backend, reused call after call (JavaScript runs one kernel at a time). */
let cpuMemory: WasmMemory | undefined;

export function cpuWorkspace(backend: KernelBackend): Workspace {
  const internals = backend as unknown as CpuBackendInternals;
  if (webAssembly === undefined) throw new Error("graph kernel: WebAssembly is not available on this platform");
  cpuMemory ??= new webAssembly.Memory({ initial: 16 });
  const memory = cpuMemory;
  const code = withNativeGraph(graphCode(memory), memory);
  // A bump allocator from the first line past 0 (0 is no buffer), in whole lines; everything is dropped at release.
  let top = LINE;
  const allocate = (bytes: number, zero = true): number => {
    const pointer = top;
    top += lines(bytes);
    const missing = top - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    if (zero || zeroEvery) new Uint8Array(memory.buffer, pointer, bytes).fill(0);
    return pointer;
  };
  return {
    code,
    input: (info) => {
      const values = internals.readSync(info.dataId);
      const pointer = allocate(4 * values.length, false);
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
    scratch: (bytes) => allocate(bytes),
    unzeroedScratch: (bytes) => allocate(bytes, false),
    f32: () => new Float32Array(memory.buffer),
    i32: () => new Int32Array(memory.buffer),
    release: () => {
      top = LINE;
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
  for (const backendName of BACKENDS) {
    const workspace = backendName === "wasm" ? wasmWorkspace : cpuWorkspace;
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
