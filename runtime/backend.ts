/**
 * Backend selection. The runtime computes on whichever TensorFlow.js backend
 * is best where it runs: `"auto"` tries, in order,
 *
 * - in browsers (and web workers): `webgpu`, `webgl`, `wasm`, `cpu`;
 * - in Node: `tensorflow` (the native TensorFlow of `@tensorflow/tfjs-node-gpu`
 *   or `@tensorflow/tfjs-node`, optional peer dependencies used only when the
 *   app has installed one), `wasm`, `cpu`.
 *
 * Every backend but `cpu` is imported lazily, on first use, so an app never
 * loads a backend it does not use (and a bundler splits each into its own
 * chunk), and a platform where one cannot even be loaded still gets the next.
 *
 * WASM: in Node the package's `main` entry reads the `.wasm` binaries from its
 * own `dist` folder with `fs`, so nothing needs configuring. In a browser the
 * binaries must be served and, when a bundler moves the script away from
 * them, located with {@link setWasmPaths} before the first network is
 * created. The package chooses among three binaries by the flags
 * `WASM_HAS_SIMD_SUPPORT` and `WASM_HAS_MULTITHREAD_SUPPORT`: plain, SIMD, or
 * threaded SIMD (`tfjs-backend-wasm-threaded-simd.wasm`, whose memory is
 * shared), which browsers get in cross-origin-isolated pages. The runtime's
 * own WebAssembly kernels run on each of them (runtime/kernels/graph/memory.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type { BackendChoice, BackendName } from "./model.js";
import { keepThreadedFactorySource } from "./threaded-wasm.js";
// Named through a variable so bundlers for browsers never try to resolve them.
import { NATIVE_PACKAGES } from "./native-packages.js";

/** The binaries of `@tensorflow/tfjs-backend-wasm`. */
export type WasmBinaryName = "tfjs-backend-wasm.wasm" | "tfjs-backend-wasm-simd.wasm" | "tfjs-backend-wasm-threaded-simd.wasm";

/**
 * Where the WASM backend finds its binaries: a URL prefix ending in `/`, or a
 * URL per binary (as `setWasmPaths` of `@tensorflow/tfjs-backend-wasm`; said
 * here so the runtime's declarations do not load the WASM package's).
 */
export type WasmPaths = string | { readonly [name in WasmBinaryName]?: string };

const BACKEND_NAMES: readonly BackendName[] = ["webgpu", "webgl", "wasm", "cpu", "tensorflow"];

let wasmPaths: WasmPaths | undefined;
/** One attempt per backend to bring it up: `undefined` on success, else the reason it failed. */
const attempts = new Map<BackendName, Promise<string | undefined>>();
let warnedFallback = false;

/**
 * Sets where the WASM backend finds its `.wasm` binaries. Only needed in
 * browsers whose bundler separates the script from the binaries; must be
 * called before the first network is created.
 */
export function setWasmPaths(prefixOrFileMap: WasmPaths): void {
  if (attempts.has("wasm")) {
    throw new Error("setWasmPaths: the WebAssembly backend has already been initialised; call setWasmPaths before creating a network");
  }
  wasmPaths = prefixOrFileMap;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether this is a browser page or worker (where the GPU backends and the threaded WASM build live). */
export function inBrowser(): boolean {
  const scope = globalThis as { document?: unknown; importScripts?: unknown; process?: { versions?: { node?: unknown } } };
  if (scope.process?.versions?.node !== undefined) return false;
  return scope.document !== undefined || typeof scope.importScripts === "function";
}

/** The order `"auto"` tries backends in here, best first. */
export function autoOrder(): readonly BackendName[] {
  return inBrowser() ? ["webgpu", "webgl", "wasm", "cpu"] : ["tensorflow", "wasm", "cpu"];
}

/** Why `name` cannot run on this platform without trying, or `undefined` if it may. */
function absence(name: BackendName): string | undefined {
  const scope = globalThis as { navigator?: { gpu?: unknown }; WebAssembly?: unknown; OffscreenCanvas?: unknown; document?: unknown };
  switch (name) {
    case "webgpu":
      return inBrowser() && scope.navigator?.gpu !== undefined ? undefined : "WebGPU is not available here (no navigator.gpu)";
    case "webgl":
      return inBrowser() && (scope.document !== undefined || scope.OffscreenCanvas !== undefined) ? undefined : "WebGL needs a browser canvas";
    case "tensorflow":
      return inBrowser() ? "the native TensorFlow backend runs only in Node" : undefined;
    case "wasm":
      return typeof scope.WebAssembly === "object" ? undefined : "WebAssembly is not available on this platform";
    case "cpu":
      return undefined;
  }
}

/** Imports the package that registers `name` with TensorFlow.js. */
async function load(name: Exclude<BackendName, "cpu">): Promise<void> {
  if (name === "webgpu") await import("@tensorflow/tfjs-backend-webgpu");
  else if (name === "webgl") await import("@tensorflow/tfjs-backend-webgl");
  else if (name === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    await keepThreadedFactorySource();
    if (wasmPaths !== undefined) wasm.setWasmPaths(wasmPaths as Parameters<typeof wasm.setWasmPaths>[0]);
  } else await loadNative();
}

async function loadNative(): Promise<void> {
  const failures: string[] = [];
  for (const specifier of NATIVE_PACKAGES) {
    try {
      await import(/* @vite-ignore */ specifier);
      return;
    } catch (error) {
      failures.push(`${specifier}: ${describe(error)}`);
    }
  }
  throw new Error(`neither native package is installed (${failures.join("; ")})`);
}

/** Loads and initialises `name` once; TensorFlow.js's own warnings are muted, the runtime says why in one place. */
async function attempt(name: BackendName): Promise<string | undefined> {
  const absent = absence(name);
  if (absent !== undefined) return absent;
  try {
    if (name !== "cpu") await load(name);
  } catch (error) {
    return `its package could not be loaded: ${describe(error)}`;
  }
  const environment = tf.env();
  const quiet = environment.getBool("PROD");
  environment.set("PROD", true);
  try {
    return (await tf.setBackend(name)) ? undefined : `TensorFlow.js could not initialise the '${name}' backend`;
  } catch (error) {
    return describe(error);
  } finally {
    environment.set("PROD", quiet);
  }
}

/** Brings `name` up (once per process) and returns why it failed, or `undefined`. */
export function initialiseBackend(name: BackendName): Promise<string | undefined> {
  let pending = attempts.get(name);
  if (pending === undefined) {
    pending = attempt(name);
    attempts.set(name, pending);
  }
  return pending;
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js could not initialise the '${name}' backend`);
}

/**
 * Makes a backend the current TensorFlow.js backend and returns the one in
 * use. Initialisation happens once per process and is reused.
 *
 * - a backend's name: that backend; rejects, saying why, if it cannot be initialised;
 * - `"auto"` (default): the first of {@link autoOrder} that comes up. Ending
 *   on the CPU backend because WASM failed gives one console warning per process.
 */
export async function useBackend(name: BackendChoice = "auto"): Promise<BackendName> {
  if (name !== "auto" && !BACKEND_NAMES.includes(name)) {
    throw new Error(`unknown backend '${String(name)}'; expected one of ${[...BACKEND_NAMES, "auto"].map((n) => `"${n}"`).join(", ")}`);
  }
  if (name !== "auto") {
    const failure = await initialiseBackend(name);
    if (failure !== undefined) throw new Error(`the '${name}' backend could not be initialised: ${failure}`);
    await activate(name);
    return name;
  }
  for (const candidate of autoOrder()) {
    if ((await initialiseBackend(candidate)) !== undefined) continue;
    if (candidate === "cpu") await warnFallback();
    await activate(candidate);
    return candidate;
  }
  throw new Error("no TensorFlow.js backend could be initialised");
}

async function warnFallback(): Promise<void> {
  const failure = await initialiseBackend("wasm");
  if (warnedFallback || failure === undefined) return;
  warnedFallback = true;
  console.warn(`deepstruct: the WebAssembly backend could not be initialised (${failure}); falling back to the CPU backend`);
}
