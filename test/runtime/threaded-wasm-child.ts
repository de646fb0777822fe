/**
 * The child process of threaded-wasm.test.ts (TensorFlow.js has one 'wasm'
 * backend per process, and the test's own process runs the single-threaded
 * build). Brings up TensorFlow.js's threaded SIMD WASM build
 * (tfjs-backend-wasm-threaded-simd.wasm, whose memory is shared) in Node,
 * runs the graph kernel's and the column pick's cases on it, and prints one
 * line: RESULT_MARKER and the results as JSON.
 *
 * Node 20 does not load that build as shipped, for two reasons, both in
 * @tensorflow/tfjs-backend-wasm 4.22's Node bundle:
 *
 * 1. The flag WASM_HAS_MULTITHREAD_SUPPORT is false whenever IS_NODE
 *    (tfjs issue #3830), so the bundle picks tfjs-backend-wasm-simd.wasm.
 *    Setting the flag true by hand before `setBackend` makes it pick the
 *    threaded binary.
 * 2. Emscripten's pthread pool (8 workers, created while the backend comes
 *    up) starts each worker from a `blob:` URL made of the worker script,
 *    and tells it to import the main script from a Blob. Node's
 *    worker_threads.Worker takes only file paths and file:/data: URLs:
 *    `TypeError [ERR_WORKER_PATH]: The worker script or module filename
 *    must be an absolute path or a relative path starting with './' or
 *    '../'. Received "blob:nodedata:…"`, and the backend fails to come up.
 *
 * Below, worker_threads.Worker is replaced (in this process only) by one
 * that runs the same worker script (the package's
 * wasm-out/tfjs-backend-wasm-threaded-simd.worker.js) as eval'd code and
 * hands it the package's wasm-out/tfjs-backend-wasm-threaded-simd.js path
 * instead of the Blob. With that the real threaded binary runs: its memory
 * is a SharedArrayBuffer and its XNNPACK thread pool runs on real worker
 * threads. The C side sizes that pool as min(threads asked, 8, logical cores
 * / 2), so on a machine with fewer than 4 logical cores `os.cpus()` is made
 * to report 4, or the pool would have a single thread and start no worker.
 */
import os from "node:os";
import path from "node:path";
import workerThreads from "node:worker_threads";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import * as wasmBackend from "@tensorflow/tfjs-backend-wasm";
import { useBackend } from "../../runtime/backend.js";
import { loadModel, saveWeights } from "../../runtime/files.js";
import type { Execution, ExecutionStep } from "../../runtime/index.js";
import { graphKernelSupport } from "../../runtime/kernels/graph/graph-kernel.js";
import { GRAPH_WASM_BASE64 } from "../../runtime/kernels/graph/graph-wasm.js";
import { ACTIVATIONS, activationCase, growingCase, noInputGradientCase, pickColumns, run } from "./graph-kernel-cases.js";

export const RESULT_MARKER = "THREADED-WASM-RESULT ";

/** JSON keeping every float: −0, NaN and ±Infinity travel as strings. */
const SPECIAL = ["-0", "NaN", "Infinity", "-Infinity"];
export const encodeResult = (result: ChildResult): string =>
  JSON.stringify(result, (_, v: unknown) => (typeof v === "number" && (Object.is(v, -0) || !Number.isFinite(v)) ? String(Object.is(v, -0) ? "-0" : v) : v));
export const decodeResult = (text: string): ChildResult => JSON.parse(text, (_, v: unknown) => (typeof v === "string" && SPECIAL.includes(v) ? Number(v) : v)) as ChildResult;
/** Threads asked of the XNNPACK pool (the caller and one worker). */
export const THREADS = 2;

type KernelResult = ReturnType<typeof run>;
export interface ChildResult {
  readonly backend: string;
  readonly sharedMemory: boolean;
  readonly threads: number;
  /** Pthreads emscripten started on pool workers (XNNPACK's thread pool). */
  readonly pthreadsStarted: number;
  readonly matMulMatches: boolean;
  readonly support: ReturnType<typeof graphKernelSupport>;
  /** What linking the plain-memory binary to this backend's memory gives: the error message, or "linked". */
  readonly plainBinary: string;
  readonly activations: Record<string, KernelResult>;
  readonly growing: KernelResult;
  readonly noInputGradient: KernelResult;
  readonly pick: ReturnType<typeof pickColumns>;
  /** The tanh case again after the shared memory has grown, and the memory's size before and after. */
  readonly afterGrowth: { readonly bytesBefore: number; readonly bytesAfter: number; readonly tanh: KernelResult };
  /** The saved model of the environment's MODEL_DIR loaded under each execution here: its predictions on MODEL_INPUT and its kernels. */
  readonly savedModel?: Record<Execution, { readonly predictions: number[]; readonly execution: readonly ExecutionStep[] }>;
}

/** The folder the test saved a model to, and the input to predict; the auto model is saved back to `${dir}-threaded`. */
export const MODEL_DIR = "DSC_THREADED_MODEL_DIR";
export const MODEL_INPUT = (): Float32Array => Float32Array.from({ length: 4 * 6 }, (_, i) => Math.cos(i + 0.5));

async function savedModelHere(dir: string): Promise<NonNullable<ChildResult["savedModel"]>> {
  const out: Partial<NonNullable<ChildResult["savedModel"]>> = {};
  for (const execution of ["auto", "dense", "sparse"] as const) {
    const model = await loadModel(dir, { execution, backend: "wasm" });
    const predictions = Array.from(tf.tidy(() => model.predict(tf.tensor2d(MODEL_INPUT(), [4, 6])).dataSync()));
    out[execution] = { predictions, execution: model.execution };
    if (execution === "auto") await saveWeights(model, `${dir}-threaded`);
    model.dispose();
  }
  return out as NonNullable<ChildResult["savedModel"]>;
}

function installNodeWorkerShim(): { pthreadsStarted(): number } {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const { wasmWorkerContents } = require(path.join(packageDir, "wasm-out/tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  // As the bundle does before making its Blob: the template literal turned the script's "\n" escapes into newlines.
  const workerSource = wasmWorkerContents.replace(/\n/g, "\\n");
  const mainScript = path.join(packageDir, "wasm-out/tfjs-backend-wasm-threaded-simd.js");
  const Base = workerThreads.Worker;
  let started = 0;
  class NodeWorker extends Base {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      if (String(url).startsWith("blob:")) super(workerSource, { ...options, eval: true });
      else super(url, options);
    }
    override postMessage(message: unknown, transfer?: readonly workerThreads.Transferable[]): void {
      if (message !== null && typeof message === "object") {
        const m = message as { cmd?: unknown; urlOrBlob?: unknown };
        if (m.urlOrBlob instanceof Blob) message = { ...m, urlOrBlob: mainScript };
        if (m.cmd === "run") started++;
      }
      super.postMessage(message, transfer);
    }
  }
  // The bundle reads require("worker_threads").Worker when the backend comes up.
  (workerThreads as { Worker: typeof Base }).Worker = NodeWorker;
  const cpus = os.cpus.bind(os);
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const list = cpus();
    while (list.length < 2 * THREADS) list.push(list[0]!);
    return list;
  };
  return { pthreadsStarted: () => started };
}

interface WasmInternals {
  readonly wasm: { readonly wasmMemory?: { readonly buffer: ArrayBufferLike }; readonly asm?: { readonly memory?: { readonly buffer: ArrayBufferLike } } };
}
const backendMemory = (): { readonly buffer: ArrayBufferLike } => {
  const { wasm } = tf.backend() as unknown as WasmInternals;
  return (wasm.asm?.memory ?? wasm.wasmMemory)!;
};
const memoryBuffer = (): ArrayBufferLike => backendMemory().buffer;

/** The failure this build gave before the shared-memory binary existed. */
function linkPlainBinary(): string {
  const api = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => object } }).WebAssembly;
  try {
    new api.Instance(new api.Module(Buffer.from(GRAPH_WASM_BASE64, "base64")), { env: { memory: backendMemory() } });
    return "linked";
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

async function main(): Promise<ChildResult> {
  const shim = installNodeWorkerShim();
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  wasmBackend.setThreadsCount(THREADS);
  const backend = await useBackend("wasm");

  // An XNNPACK op on the thread pool, checked against the same product in float64.
  const a = Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: 48 * 40 }, (_, i) => Math.cos(i));
  const product = tf.matMul(tf.tensor2d(a, [64, 48]), tf.tensor2d(b, [48, 40])).dataSync();
  let matMulMatches = true;
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 40; j++) {
      let sum = 0;
      for (let k = 0; k < 48; k++) sum += a[i * 48 + k]! * b[k * 40 + j]!;
      if (Math.abs(product[i * 40 + j]! - sum) > 1e-4 * (1 + Math.abs(sum))) matMulMatches = false;
    }
  }

  const support = graphKernelSupport();
  const activations: Record<string, KernelResult> = {};
  for (const activation of ACTIVATIONS) {
    const { c, x, exports } = activationCase(activation);
    activations[activation] = run(c, x, activation, exports);
  }
  const grow = growingCase();
  const noInput = noInputGradientCase();
  const result = {
    backend,
    sharedMemory: memoryBuffer() instanceof SharedArrayBuffer,
    threads: wasmBackend.getThreadsCount(),
    matMulMatches,
    support,
    plainBinary: linkPlainBinary(),
    activations,
    growing: run(grow.c, grow.x, "tanh", grow.exports, { maskWeightGradient: false }),
    noInputGradient: run(noInput.c, noInput.x, "relu", noInput.exports, { inputNeedsGradient: false }),
    pick: pickColumns(),
  };

  // 64 MiB kept alive grows the memory (16 MiB at start); the kernel's views of it must follow.
  const bytesBefore = memoryBuffer().byteLength;
  const ballast = tf.zeros([16 << 20]);
  const tanhCase = activationCase("tanh");
  const tanh = run(tanhCase.c, tanhCase.x, "tanh", tanhCase.exports);
  const bytesAfter = memoryBuffer().byteLength;
  ballast.dispose();
  const dir = process.env[MODEL_DIR];
  const savedModel = dir === undefined ? {} : { savedModel: await savedModelHere(dir) };
  return { ...result, pthreadsStarted: shim.pthreadsStarted(), afterGrowth: { bytesBefore, bytesAfter, tanh }, ...savedModel };
}

// Run only as a script, not when the test imports this file's types and constants.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (result) => process.stdout.write(RESULT_MARKER + encodeResult(result) + "\n", () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`, () => process.exit(1));
    },
  );
}
