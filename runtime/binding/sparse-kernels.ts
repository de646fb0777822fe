/**
 * Which kernel runs a network's sparse kernels (the plan's graph kernels) on
 * a backend: the WebAssembly graph kernel on wasm and cpu (graph/), the WGSL
 * compute shader on webgpu and gathers of stock TensorFlow.js ops on every
 * other backend (gpu/layered-graph.ts). `model.execution` names it per step.
 */
import type { GraphKernelSupport } from "../kernels/graph/memory.js";
import { nativeDenseActive, nativeGraphActive } from "../kernels/native/index.js";
import type { DenseProducts } from "./cost-model.js";

export type SparseKernelName = "graph-kernel" | "wgsl" | "gather-ops";

/** `pricing`: the cost table its kernels are priced by (default: cost-model.ts's `pricingOf` the kernel). */
export type SparseSupport =
  | { readonly available: true; readonly kernel: SparseKernelName; readonly pricing?: DenseProducts }
  | { readonly available: false; readonly kernel: SparseKernelName; readonly reason: string; readonly pricing?: DenseProducts };

/**
 * The sparse kernel of `backend`, given whether the graph kernel runs on it
 * (graphKernelSupport()); on wasm and cpu priced by the native part's
 * measured rates where its products (and its graph kernel) run now.
 */
export function sparseKernelSupport(backend: string, graph: GraphKernelSupport): SparseSupport {
  if (backend === "webgpu") return { available: true, kernel: "wgsl" };
  if (backend === "wasm" || backend === "cpu") {
    const pricing: DenseProducts = nativeDenseActive() ? (nativeGraphActive() ? "native" : "native-products") : "wasm";
    return graph.available ? { available: true, kernel: "graph-kernel", pricing } : { available: false, kernel: "graph-kernel", reason: graph.reason, pricing };
  }
  return { available: true, kernel: "gather-ops" };
}
