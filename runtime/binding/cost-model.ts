/**
 * The one machine-dependent decision of the runtime: whether a kernel runs
 * as a masked dense product or sparse, and on which sparse kernel. Storage
 * does not depend on it (see storage/layout.ts), so a model saved under one
 * decision loads under any other; only speed does.
 *
 * The sparse kernel follows the backend (sparse-kernels.ts): the WebAssembly
 * graph kernel on wasm and cpu, the WGSL compute shader on webgpu, gathers
 * of stock ops elsewhere (webgl, tensorflow). Each is priced against the
 * dense product on the same backend.
 */
import {
  DENSE_FIXED,
  DENSE_PER_ENTRY,
  NATIVE_DENSE_FIXED,
  NATIVE_DENSE_PER_ENTRY,
  NATIVE_PRODUCTS_DENSE_FIXED,
  NATIVE_SPARSE_PER_EDGE,
  NATIVE_SPARSE_PER_NEURON,
  SPARSE_PER_EDGE,
  SPARSE_PER_NEURON,
} from "../kernels/calibration.js";
import type { GraphKernelSupport } from "../kernels/graph/memory.js";
import { learnableBlocks, type KernelLayout } from "../storage/layout.js";
import type { Execution, NetworkSpec } from "../spec.js";
import type { SparseKernelName, SparseSupport } from "./sparse-kernels.js";

/** What the cost model looks at: rows with a connection (those a dense product multiplies), targets, connections. */
export interface KernelShape {
  /** A layer the language made dense (not from a graph) with every connection present: it stays a matrix. */
  readonly denseLayer: boolean;
  readonly rows: number;
  readonly cols: number;
  readonly edges: number;
  /**
   * Of `rows`, those read from outside every structure (the network's input, a dense layer): a graph kernel takes
   * them in as external inputs (transposed in, their gradient picked out), where rows from a structure's layers are
   * neurons a member beside it computes, already priced as that member's targets. Default: all of them, as in a lone
   * kernel (the calibration's).
   */
  readonly externalRows?: number;
}

export type KernelExecution = { readonly kind: "dense" | "sparse"; readonly reason?: string };

/**
 * Whose kernels a cost is counted for: TensorFlow.js's WASM products against
 * graph.wat (the default, and what plans are made with, so that a compiled
 * plan is the same on every machine), the native part's products
 * (native/dense.c) against its graph kernel (native/graph.c: `native`) or
 * against graph.wat (`native-products`, with the native graph kernel off), or
 * a GPU backend's matrix product against its sparse kernel (`webgpu`: the
 * WGSL shader; `ops`: gathers of stock ops).
 */
export type DenseProducts = "wasm" | "native" | "native-products" | "webgpu" | "ops";

/** Costs of one forward + backward at batch 256, in a unit of the table's own (only the comparison within a table counts). */
interface CostTable {
  readonly denseFixed: number;
  readonly densePerEntry: number;
  readonly sparseFixed: number;
  readonly sparsePerEdge: number;
  readonly sparsePerNeuron: number;
}

/**
 * The GPU tables are priors, not measurements: the only GPU here is
 * SwiftShader, which emulates one on the CPU and times like a CPU. Unit: one
 * entry of a dense product (≈ 1.5 ns on a GPU doing 1 TFLOP/s: three
 * products of 2 × 256 flops per entry). An op costs about 20 µs to launch
 * (≈ 13,000 entries): a dense kernel runs about five, a sparse member about
 * ten (slice, mask, product, bias, concatenation; three passes back). A
 * connection costs 8 entries in the WGSL shader (uncached reads of x where a
 * tiled product reuses them, so it wins below about 1/8 density) and 20 in
 * the gather ops (each a pass through a [batch, connections] intermediate).
 */
const COSTS: Readonly<Record<DenseProducts, CostTable>> = {
  wasm: { denseFixed: DENSE_FIXED, densePerEntry: DENSE_PER_ENTRY, sparseFixed: 0, sparsePerEdge: SPARSE_PER_EDGE, sparsePerNeuron: SPARSE_PER_NEURON },
  native: {
    denseFixed: NATIVE_DENSE_FIXED,
    densePerEntry: NATIVE_DENSE_PER_ENTRY,
    sparseFixed: 0,
    sparsePerEdge: NATIVE_SPARSE_PER_EDGE,
    sparsePerNeuron: NATIVE_SPARSE_PER_NEURON,
  },
  "native-products": {
    denseFixed: NATIVE_PRODUCTS_DENSE_FIXED,
    densePerEntry: NATIVE_DENSE_PER_ENTRY,
    sparseFixed: 0,
    sparsePerEdge: SPARSE_PER_EDGE,
    sparsePerNeuron: SPARSE_PER_NEURON,
  },
  webgpu: { denseFixed: 65_000, densePerEntry: 1, sparseFixed: 130_000, sparsePerEdge: 8, sparsePerNeuron: 0 },
  ops: { denseFixed: 65_000, densePerEntry: 1, sparseFixed: 130_000, sparsePerEdge: 20, sparsePerNeuron: 0 },
};

/** The cost table that prices a sparse kernel against the dense product on its backend. */
export function pricingOf(kernel: SparseKernelName): DenseProducts {
  return kernel === "graph-kernel" ? "wasm" : kernel === "wgsl" ? "webgpu" : "ops";
}

/**
 * Whether the sparse kernel is cheaper than the dense product under the
 * costs of `products` (default: TensorFlow.js's WASM products against the
 * graph kernel, calibrated by `npm run bench kernels`): never for a full
 * layer the language made dense.
 */
export function sparseIsCheaper(shape: KernelShape, products: DenseProducts = "wasm"): boolean {
  if (shape.denseLayer) return false;
  const c = COSTS[products];
  const dense = c.denseFixed + c.densePerEntry * shape.rows * shape.cols;
  const sparse = c.sparseFixed + c.sparsePerEdge * shape.edges + c.sparsePerNeuron * ((shape.externalRows ?? shape.rows) + shape.cols);
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
  return { denseLayer, rows: layout.usedRows.length, cols: layout.cols, edges: live, externalRows: externalRows(spec, layout) };
}

/** The kernel's used rows whose block reads a layer no structure made. */
function externalRows(spec: NetworkSpec, layout: KernelLayout): number {
  let count = 0;
  for (const slice of layout.blocks) {
    if (spec.layers[slice.source]!.origin.kind === "structure") continue;
    for (let r = slice.rowOffset; r < slice.rowOffset + slice.sourceSize; r++) if (layout.rowStart[r + 1]! > layout.rowStart[r]!) count++;
  }
  return count;
}

/**
 * How a kernel runs: forced by `execution`, or under `auto` the cheaper way
 * on the backend's sparse kernel (`support`, priced by its `pricing`: the
 * runtime's binding prices the native part's kernels where they run; the
 * compiler passes the graph kernel's `{ available: true }`, priced as WASM) for its `live` connections
 * (default: all). A kernel with learnable masks or without connections runs
 * dense; where no sparse kernel can run, `auto` falls back to dense and says why.
 * @throws Error when `execution` is "sparse" and no sparse kernel can run here.
 */
export function chooseExecution(spec: NetworkSpec, layout: KernelLayout, execution: Execution, support: SparseSupport | GraphKernelSupport, live = layout.count): KernelExecution {
  if (layout.count === 0) return { kind: "dense" };
  if (learnableBlocks(spec, layout).length > 0) return { kind: "dense", ...(execution === "sparse" ? { reason: "learnable masks run dense" } : {}) };
  const kernel = "kernel" in support ? support.kernel : "graph-kernel";
  const pricing = "pricing" in support && support.pricing !== undefined ? support.pricing : pricingOf(kernel);
  const sparse = execution === "auto" ? sparseIsCheaper(kernelShape(spec, layout, live), pricing) : execution === "sparse";
  if (!sparse) return { kind: "dense" };
  if (support.available) return { kind: "sparse" };
  if (execution === "sparse") throw new Error(`execution "sparse" cannot run here: ${support.reason}; use "auto" or "dense"`);
  return { kind: "dense", reason: support.reason };
}
