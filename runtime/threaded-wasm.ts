/**
 * TensorFlow.js's threaded WASM build in minified bundles.
 *
 * In a cross-origin-isolated page tfjs-backend-wasm runs threaded, and hands
 * each of its web workers the Emscripten module factory as source text:
 * `"var WasmBackendModuleThreadedSimd = " + factory.toString()`. A minifier
 * (Vite's production build does) renames the variables the
 * factory closes over, so the text a worker runs names variables that exist
 * only in the bundle: every worker fails with "e is not defined" and the
 * backend never comes up. The runtime gives the factory the glue's own,
 * self-contained text (runtime/threaded-wasm-glue.ts, written from the
 * installed package by `npm run build:threaded-glue`) as its `toString`.
 */
/** Call before the WASM backend initialises; does nothing where the threaded build cannot be chosen. */
export async function keepThreadedFactorySource(): Promise<void> {
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return;
  // Both imported here, only in isolated pages: a bundler gives the 55 KB of source a chunk of its own.
  const [glue, { THREADED_FACTORY_SOURCE }] = await Promise.all([
    import("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js") as Promise<{ default?: unknown }>,
    import("./threaded-wasm-glue.js"),
  ]);
  const factory = glue.default ?? glue;
  if (typeof factory !== "function") throw new Error("the threaded WASM glue of @tensorflow/tfjs-backend-wasm no longer exports its module factory");
  Object.defineProperty(factory, "toString", { value: () => THREADED_FACTORY_SOURCE, configurable: true });
}
