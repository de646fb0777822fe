/**
 * The sparse kernel: x · W + b where W is given by its live connections only,
 * as (source, target, weight) triples — a gather and a scatter-sum instead of
 * a matrix product, so memory and time follow the connections, not
 * rows × columns. Used for kernels whose density is below the calibrated
 * threshold (see `execution.ts`).
 *
 * Forward: xs = x[:, src] (B × E); y = Σ over edges into each target of
 * xs ⊙ (w ⊙ m), by a scatter-sum of the transposed products, + b.
 * Backward (written out, with explicit transposes as on the dense kernel):
 * dw = Σ_batch xs ⊙ dy[:, tgt], masked; dx = scatter-sum over sources of
 * dy[:, tgt] ⊙ (w ⊙ m). The mask m (0/1 per edge) carries pruning, so shapes
 * never change while connections are switched off and on again.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import "../gradients.js";

export interface SparseStructure {
  readonly rows: number;
  readonly cols: number;
  /** Source (row) of each edge, as a gather index and as scatter indices [E, 1]. */
  readonly sources: Tensor1D;
  readonly sourceSlots: Tensor2D;
  readonly targets: Tensor1D;
  readonly targetSlots: Tensor2D;
}

export function sparseStructure(rows: number, cols: number, sources: Int32Array, targets: Int32Array): SparseStructure {
  return {
    rows,
    cols,
    sources: tf.tensor1d(sources, "int32"),
    sourceSlots: tf.tensor2d(sources, [sources.length, 1], "int32"),
    targets: tf.tensor1d(targets, "int32"),
    targetSlots: tf.tensor2d(targets, [targets.length, 1], "int32"),
  };
}

export function disposeStructure(s: SparseStructure): void {
  tf.dispose([s.sources, s.sourceSlots, s.targets, s.targetSlots]);
}

type SaveFunction = (tensors: Tensor[]) => void;

/** y = x · W + b for the structure's edges with weights w ⊙ m. */
export interface SparseDenseOptions {
  readonly inputNeedsGradient?: boolean;
  /** False gives switched-off edges their gradient too (for growing where it is largest). */
  readonly maskWeightGradient?: boolean;
}

export function sparseDense(x: Tensor2D, w: Tensor1D, mask: Tensor1D, bias: Tensor1D, s: SparseStructure, options: SparseDenseOptions = {}): Tensor2D {
  const inputNeedsGradient = options.inputNeedsGradient !== false;
  const maskGradient = options.maskWeightGradient !== false;
  const batch = x.shape[0];
  const op = tf.customGrad((xi, wi, mi, bi, save) => {
    const [input, weights, m, b] = [xi as Tensor2D, wi as Tensor1D, mi as Tensor1D, bi as Tensor1D];
    const effective = tf.mul(weights, m) as Tensor1D;
    const gathered = tf.gather(input, s.sources, 1) as Tensor2D;
    const products = tf.mul(gathered, effective) as Tensor2D;
    const summed = tf.scatterND(s.targetSlots, tf.transpose(products), [s.cols, batch]) as Tensor2D;
    (save as SaveFunction)([gathered, effective, m]);
    return {
      value: tf.add(tf.transpose(summed), b) as Tensor2D,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, eff, mk] = saved as [Tensor2D, Tensor1D, Tensor1D];
        const dyEdges = tf.gather(dy as Tensor2D, s.targets, 1) as Tensor2D;
        const unmasked = tf.sum(tf.mul(xs, dyEdges), 0);
        const dw = maskGradient ? tf.mul(unmasked, mk) : unmasked;
        const dx = inputNeedsGradient
          ? tf.transpose(tf.scatterND(s.sourceSlots, tf.transpose(tf.mul(dyEdges, eff)), [s.rows, batch]))
          : tf.zeros([batch, s.rows]);
        return [dx, dw, tf.zerosLike(mk), tf.sum(dy, 0)];
      },
    };
  });
  return op(x, w, mask, bias) as Tensor2D;
}
