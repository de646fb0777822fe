/**
 * Which way each kernel runs, and what that costs in parameters: one rule
 * shared by the runtime (when it builds a network) and by benchmarks (which
 * report memory for networks too large to build here).
 */
import { kernelConnections } from "./connections.js";
import type { Execution, KernelSpec, NetworkSpec } from "../spec.js";
import { DENSE_FIXED, DENSE_PER_ENTRY, SPARSE_PER_EDGE, SPARSE_PER_NEURON } from "./calibration.js";

/** What the choice looks at: rows with a connection (those a packed kernel multiplies), targets, live connections. */
export interface KernelShape {
  /** A layer the language made dense (not from a graph) with every connection present: it stays a matrix. */
  readonly denseLayer: boolean;
  readonly rows: number;
  readonly cols: number;
  readonly edges: number;
}

/**
 * Whether a kernel runs sparse (in a graph kernel): forced, or under `auto`
 * where it is not a full dense layer and the cost model calibrated by
 * `npm run bench kernels` says it is cheaper than the masked dense product.
 */
export function runsSparse(execution: Execution, shape: KernelShape): boolean {
  if (execution !== "auto") return execution === "sparse";
  if (shape.denseLayer) return false;
  const dense = DENSE_FIXED + DENSE_PER_ENTRY * shape.rows * shape.cols;
  const sparse = SPARSE_PER_EDGE * shape.edges + SPARSE_PER_NEURON * (shape.rows + shape.cols);
  return sparse < dense;
}

/** Whether a kernel computes a layer not made from a graph, every connection into it present. */
export function isDenseLayer(spec: NetworkSpec, kernel: KernelSpec, rows: number, edges: number): boolean {
  const target = spec.layers[kernel.target]!;
  return target.vertices === undefined && edges === rows * target.size;
}

/**
 * The parameters a network allocates: per kernel its live connections
 * (sparse) or rows × columns (dense; under `auto` only the rows with a
 * connection, as packing keeps), plus biases and layer-norm gains and shifts.
 * Learnable-mask logits are not counted.
 */
export function plannedParameters(spec: NetworkSpec, execution: Execution = spec.execution ?? "auto"): { weights: number; biases: number; live: number } {
  let weights = 0;
  let biases = 0;
  let live = 0;
  for (const kernel of spec.kernels) {
    const { rows, cols, edges, usedRows } = kernelConnections(spec, kernel);
    live += edges;
    const denseRows = execution === "auto" ? usedRows : rows;
    weights += rows === 0 ? 0 : runsSparse(execution, { denseLayer: isDenseLayer(spec, kernel, rows, edges), rows: usedRows, cols, edges }) ? edges : denseRows * cols;
    const normalised = spec.layerNorm && spec.layers[kernel.target]!.kind === "hidden" && cols > 1;
    biases += cols * (normalised ? 3 : 1);
  }
  return { weights, biases, live };
}
