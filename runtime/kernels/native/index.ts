/**
 * The optional native part, Node only: its state, the dense products, dense
 * layers, convolutions, graph kernel, input check, pruning passes and Adam
 * on it, and its threads. The rest of the runtime reaches this folder only
 * through this module, and browser bundles get browser.ts in its place (the
 * `browser` field of package.json and packages/runtime/package.json: esbuild,
 * Vite, webpack and Rollup's node-resolve read it, Node does not), which
 * exports the same names with what they give where no addon can load. So
 * a page carries none of the native glue, and Node loads it synchronously as
 * before.
 *
 * Modules here must not import what imports this one (graph/memory.ts and
 * what imports it, such as binding/live-edges.ts): a cycle through it would
 * run a module's top level before its imports are ready.
 */
export { nativeStatus, type NativeBlas, type NativeStatus } from "./load.js";
export { denseProduct, nativeDenseActive, nativeThreads, setNativeThreads, useNativeDense, type ProductOptions } from "./dense-product.js";
export { nativeDenseLayer, type DenseLayerOptions } from "./dense-layer.js";
export { nativeGraphActive, useNativeGraph, withNativeGraph } from "./graph-code.js";
export { nativeConv, useNativeConv, type NativeConv, type NativeConvWindow } from "./conv-product.js";
export { nativeNonFiniteIndex } from "./finite.js";
export { nativePasses } from "./select-passes.js";
export { adamOptimizer } from "./fused-adam.js";
