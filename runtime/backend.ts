/**
 * Backend selection. The runtime computes on TensorFlow.js's WebAssembly
 * backend when it can and on the plain JavaScript CPU backend otherwise.
 *
 * In Node the WASM package's `main` entry is its Node bundle, which reads the
 * `.wasm` binaries from its own `dist` folder with `fs`, so nothing needs
 * configuring there. In a browser build the binaries must be served and,
 * when a bundler moves the script away from them, located with
 * {@link setWasmPaths} before the first network is created.
 *
 * The WASM package is imported lazily, so a platform where it cannot even be
 * loaded still gets the CPU backend.
 *
 * The WASM package chooses among three binaries by the flags
 * `WASM_HAS_SIMD_SUPPORT` and `WASM_HAS_MULTITHREAD_SUPPORT`: plain, SIMD, or
 * threaded SIMD (`tfjs-backend-wasm-threaded-simd.wasm`, whose memory is
 * shared). Browsers get the threaded one in cross-origin-isolated pages; in
 * Node the threads flag is always false, so Node runs the SIMD build. The
 * runtime's own WebAssembly kernels run on each of them
 * (runtime/kernels/graph/memory.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type { BackendChoice, BackendName } from "./model.js";

type WasmPaths = Parameters<typeof import("@tensorflow/tfjs-backend-wasm").setWasmPaths>[0];

let wasmPaths: WasmPaths | undefined;
/** The one attempt to bring the WASM backend up: `undefined` on success, else the reason it failed. */
let wasmAttempt: Promise<string | undefined> | undefined;
let warnedFallback = false;

/**
 * Where the WASM backend finds its `.wasm` binaries: a URL prefix ending in
 * `/`, or a map from binary name to URL (as `setWasmPaths` of
 * `@tensorflow/tfjs-backend-wasm`). Only needed in browsers whose bundler
 * separates the script from the binaries; must be called before the first
 * network is created.
 */
export function setWasmPaths(prefixOrFileMap: WasmPaths): void {
  if (wasmAttempt !== undefined) {
    throw new Error("setWasmPaths: the WebAssembly backend has already been initialised; call setWasmPaths before creating a network");
  }
  wasmPaths = prefixOrFileMap;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function initialiseWasm(): Promise<string | undefined> {
  wasmAttempt ??= (async (): Promise<string | undefined> => {
    if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== "object") return "WebAssembly is not available on this platform";
    try {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      if (wasmPaths !== undefined) wasm.setWasmPaths(wasmPaths);
    } catch (error) {
      return `@tensorflow/tfjs-backend-wasm could not be loaded: ${describe(error)}`;
    }
    // TensorFlow.js logs its own two warnings when a backend fails to come
    // up; the runtime gives one, so its logging is muted for the attempt.
    const environment = tf.env();
    const quiet = environment.getBool("PROD");
    environment.set("PROD", true);
    try {
      const ok = await tf.setBackend("wasm");
      return ok ? undefined : "TensorFlow.js could not initialise the 'wasm' backend";
    } catch (error) {
      return describe(error);
    } finally {
      environment.set("PROD", quiet);
    }
  })();
  return wasmAttempt;
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js could not initialise the '${name}' backend`);
}

/**
 * Makes `name` the current TensorFlow.js backend and returns the backend
 * actually in use. Initialisation happens once per process and is reused.
 *
 * - `"cpu"`: the JavaScript CPU backend.
 * - `"wasm"`: the WebAssembly backend; rejects if it cannot be initialised.
 * - `"auto"` (default): WASM, falling back to CPU with one console warning
 *   (once per process) if WASM cannot be initialised.
 */
export async function useBackend(name: BackendChoice = "auto"): Promise<BackendName> {
  if (name !== "auto" && name !== "wasm" && name !== "cpu") {
    throw new Error(`unknown backend '${String(name)}'; expected "wasm", "cpu" or "auto"`);
  }
  if (name === "cpu") {
    await activate("cpu");
    return "cpu";
  }
  const failure = await initialiseWasm();
  if (failure === undefined) {
    await activate("wasm");
    return "wasm";
  }
  if (name === "wasm") throw new Error(`the WebAssembly backend could not be initialised: ${failure}`);
  if (!warnedFallback) {
    warnedFallback = true;
    console.warn(`deepstruct: the WebAssembly backend could not be initialised (${failure}); falling back to the CPU backend`);
  }
  await activate("cpu");
  return "cpu";
}
