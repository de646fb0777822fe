/**
 * Which kernel runs a network's sparse kernels (the plan's graph kernels) on
 * a backend: the WebAssembly graph kernel on wasm and cpu (graph/), the WGSL
 * compute shader on webgpu and gathers of stock TensorFlow.js ops on every
 * other backend (gpu/layered-graph.ts). `model.execution` names it per step.
 */
import type { GraphKernelSupport } from "../kernels/graph/memory.js";

export type SparseKernelName = "graph-kernel" | "wgsl" | "gather-ops";

export type SparseSupport =
  { readonly available: true; readonly kernel: SparseKernelName } | { readonly available: false; readonly kernel: SparseKernelName; readonly reason: string };

/** The sparse kernel of `backend`, given whether the graph kernel runs on it (graphKernelSupport()). */
export function sparseKernelSupport(backend: string, graph: GraphKernelSupport): SparseSupport {
  if (backend === "webgpu") return { available: true, kernel: "wgsl" };
  if (backend === "wasm" || backend === "cpu")
    return graph.available ? { available: true, kernel: "graph-kernel" } : { available: false, kernel: "graph-kernel", reason: graph.reason };
  return { available: true, kernel: "gather-ops" };
}
