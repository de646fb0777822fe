/**
 * The one machine-dependent decision of the runtime: whether a kernel runs
 * as a masked dense product or sparse (inside a graph kernel). Storage does
 * not depend on it (see storage/layout.ts), so a model saved under one
 * decision loads under any other; only speed does.
 */
import { DENSE_FIXED, DENSE_PER_ENTRY, NATIVE_DENSE_FIXED, NATIVE_DENSE_PER_ENTRY, SPARSE_PER_EDGE, SPARSE_PER_NEURON } from "../kernels/calibration.js";
import type { GraphKernelSupport } from "../kernels/graph/memory.js";
import { learnableBlocks, type KernelLayout } from "../storage/layout.js";
import type { Execution, NetworkSpec } from "../spec.js";

/** What the cost model looks at: rows with a connection (those a dense product multiplies), targets, connections. */
export interface KernelShape {
  /** A layer the language made dense (not from a graph) with every connection present: it stays a matrix. */
  readonly denseLayer: boolean;
  readonly rows: number;
  readonly cols: number;
  readonly edges: number;
}

export type KernelExecution = { readonly kind: "dense" | "sparse"; readonly reason?: string };

/** Whose matrix products a dense kernel's cost is counted for. */
export type DenseProducts = "wasm" | "native";

/**
 * Whether the cost model calibrated by `npm run bench kernels` prefers the
 * sparse kernel: never for a full layer the language made dense. `products`
 * prices the dense kernel's matrix products: TensorFlow.js's WASM ones (the
 * default, and what plans are made with, so that a compiled plan is the same
 * on every machine) or the native ones (native/dense.c).
 */
export function sparseIsCheaper(shape: KernelShape, products: DenseProducts = "wasm"): boolean {
  if (shape.denseLayer) return false;
  const native = products === "native";
  const dense = (native ? NATIVE_DENSE_FIXED : DENSE_FIXED) + (native ? NATIVE_DENSE_PER_ENTRY : DENSE_PER_ENTRY) * shape.rows * shape.cols;
  const sparse = SPARSE_PER_EDGE * shape.edges + SPARSE_PER_NEURON * (shape.rows + shape.cols);
  return sparse < dense;
}

/**
 * What the cost model sees of a kernel with `live` of its connections
 * switched on (default all): a pruned kernel runs sparse over its live ones
 * (see binding/bind.ts), so they are what a sparse kernel costs, and a dense
 * layer with some pruned is no longer one to keep a matrix regardless.
 */
export function kernelShape(spec: NetworkSpec, layout: KernelLayout, live = layout.count): KernelShape {
  const denseLayer = spec.layers[layout.target]!.origin.kind !== "structure" && layout.full && live === layout.count;
  return { denseLayer, rows: layout.usedRows.length, cols: layout.cols, edges: live };
}

/**
 * How a kernel runs: forced by `execution`, or under `auto` the cheaper way
 * for its `live` connections (default: all).
 * A kernel with learnable masks or without connections runs dense; where the
 * graph kernel cannot run, `auto` falls back to dense and says why.
 * @throws Error when `execution` is "sparse" and the backend cannot run graph kernels.
 */
export function chooseExecution(spec: NetworkSpec, layout: KernelLayout, execution: Execution, support: GraphKernelSupport, live = layout.count): KernelExecution {
  if (layout.count === 0) return { kind: "dense" };
  if (learnableBlocks(spec, layout).length > 0) return { kind: "dense", ...(execution === "sparse" ? { reason: "learnable masks run dense" } : {}) };
  const sparse = execution === "auto" ? sparseIsCheaper(kernelShape(spec, layout, live)) : execution === "sparse";
  if (!sparse) return { kind: "dense" };
  if (support.available) return { kind: "sparse" };
  if (execution === "sparse") throw new Error(`execution "sparse" cannot run here: ${support.reason}; use "auto" or "dense"`);
  return { kind: "dense", reason: support.reason };
}
