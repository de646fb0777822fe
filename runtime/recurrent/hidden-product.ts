/**
 * Each step's hidden product h · U and, back through time, d · Uᵀ: dense, or
 * over U's live entries only on the graph kernel (kernels/graph) when the
 * cost model's calibrated costs say that is cheaper. Sparse runs only on
 * TensorFlow.js's WASM products: against the native BLAS the graph kernel
 * does not pay at a recurrent layer's sizes (144 µs against 141 µs per
 * [100, 100] × [100, 400] product at 10% live, docs/benchmarks.md).
 *
 * The live entries are read from the mask once per forward pass (a plain
 * Int32Array, so it outlives the caller's tidy for the backward pass); the
 * two structures (rows → columns for h · U, columns → rows for d · Uᵀ) share
 * one vector of the live weights, in row-major order.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { DENSE_PER_ENTRY, SPARSE_PER_EDGE, SPARSE_PER_NEURON } from "../kernels/calibration.js";
import { graphKernel, graphKernelAvailable, graphStructure } from "../kernels/graph/graph-kernel.js";
import { denseProduct, nativeDenseActive } from "../kernels/native/index.js";
import type { RecurrentLayerStore } from "./store.js";

export interface HiddenProduct {
  /** h [batch, hidden] · U: [batch, gates · hidden]. */
  readonly times: (h: Tensor2D) => Tensor2D;
  /** d [batch, gates · hidden] · Uᵀ: [batch, hidden]. */
  readonly timesTransposed: (d: Tensor2D) => Tensor2D;
}

/**
 * Whether `live` of a [rows, cols] hidden weight run cheaper sparse, by the
 * calibrated per-entry, per-connection and per-neuron costs; both ways pay one
 * launch per step, so the kernels' fixed costs are left out of the comparison.
 */
export function sparseHiddenIsCheaper(rows: number, cols: number, live: number): boolean {
  return SPARSE_PER_EDGE * live + SPARSE_PER_NEURON * (rows + cols) < DENSE_PER_ENTRY * rows * cols;
}

/** The live entries of a layer's hidden weight, row-major, when its product runs sparse now; undefined when it runs dense. */
export function sparseHiddenEntries(layer: RecurrentLayerStore): Int32Array | undefined {
  if (tf.getBackend() !== "wasm" || nativeDenseActive() || !graphKernelAvailable()) return undefined;
  const [rows, cols] = layer.hiddenMask.shape;
  const mask = layer.hiddenMask.dataSync();
  let live = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] !== 0) live++;
  if (!sparseHiddenIsCheaper(rows, cols, live)) return undefined;
  const entries = new Int32Array(live);
  for (let k = 0, e = 0; k < mask.length; k++) if (mask[k] !== 0) entries[e++] = k;
  return entries;
}

/** One graph kernel computing `neurons` linear outputs from `inputs` columns over the edges `from[e] → to[e]` with weights `weight[e]`. */
function sparseProduct(inputs: number, neurons: number, from: Int32Array, to: Int32Array, weight: Tensor1D): (x: Tensor2D) => Tensor2D {
  const structure = graphStructure({ inputs, activated: 0, members: [{ neurons, sources: from, targets: to }] });
  const bias = tf.zeros([neurons]) as Tensor1D;
  const mask = tf.ones([from.length]) as Tensor1D;
  const exports = tf.range(0, neurons, 1, "int32") as Tensor1D;
  return (x) => graphKernel(x, [{ weight, bias }], mask, structure, exports, { activation: "linear" });
}

/** The products with `u` [hidden, gates · hidden] (masked), over `entries` only when given. Runs inside the caller's tidy. */
export function hiddenProduct(u: Tensor2D, entries: Int32Array | undefined): HiddenProduct {
  if (entries === undefined) {
    let transposed: Tensor2D | undefined;
    const timesTransposed = nativeDenseActive()
      ? (d: Tensor2D) => denseProduct(d, u, { transposeB: true })
      : (d: Tensor2D) => tf.matMul(d, (transposed ??= tf.transpose(u) as Tensor2D)) as Tensor2D;
    return { times: (h) => denseProduct(h, u), timesTransposed };
  }
  const [rows, cols] = u.shape;
  const source = entries.map((k) => Math.floor(k / cols));
  const target = entries.map((k) => k % cols);
  const weight = tf.gather(tf.reshape(u, [-1]), tf.tensor1d(entries, "int32")) as Tensor1D;
  // Each structure is built when first used: a forward pass without a gradient needs only the first.
  let forward: ((h: Tensor2D) => Tensor2D) | undefined;
  let backward: ((d: Tensor2D) => Tensor2D) | undefined;
  return {
    times: (h) => (forward ??= sparseProduct(rows, cols, source, target, weight))(h),
    timesTransposed: (d) => (backward ??= sparseProduct(cols, rows, target, source, weight))(d),
  };
}
