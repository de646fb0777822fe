/**
 * A sparse layer as stock TensorFlow.js ops, for backends with no sparse
 * kernel of our own (webgl has no compute shaders; the native `tensorflow`
 * backend): `y = x · (W ⊙ M)` over the live connections only.
 *
 * Only gathers, products and sums: each target's incoming connections are
 * padded to the largest in-degree (the ELL layout of GPU sparse libraries;
 * padding reads a zero column with a zero weight), so the forward pass is one
 * gather of source columns, a product with the gathered weights and a sum
 * over that padded axis. The gradient is written out the same way (the input
 * gradient over each source's outgoing connections, the weight gradient as
 * a batch sum of gathered columns): TensorFlow.js's own gradient of a gather
 * is an unsorted segment sum, which webgl computes by visiting every
 * (segment, entry) pair, more work than the dense product it would replace.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";

/** Per group (a target, or a source), its connections padded to `width`: the other end's column and the connection's index. */
interface PaddedLists {
  readonly width: number;
  /** [groups × width]: a column of the padded operand (its last column, `size`, reads zero when padding). */
  readonly column: Tensor1D;
  /** [groups × width]: an index into the padded weights (their last entry, `connections`, is zero when padding). */
  readonly edge: Tensor1D;
}

/** Connections `source[e] → target[e]` (int32), in the weights' order, and their two padded groupings. */
export interface SparseOpsStructure {
  readonly inputs: number;
  readonly outputs: number;
  readonly connections: number;
  readonly source: Tensor1D;
  readonly target: Tensor1D;
  readonly byTarget: PaddedLists;
  readonly bySource: PaddedLists;
}

/** Groups connections by `keys` (one list per group, padded to the longest), naming the other end `others` (padding: `pad`). */
function paddedLists(groups: number, keys: Int32Array, others: Int32Array, pad: number): PaddedLists {
  const counts = new Int32Array(groups);
  for (const key of keys) counts[key]!++;
  const width = counts.reduce((a, b) => Math.max(a, b), 1);
  const column = new Int32Array(groups * width).fill(pad);
  const edge = new Int32Array(groups * width).fill(keys.length);
  const next = new Int32Array(groups);
  keys.forEach((key, e) => {
    const slot = key * width + next[key]!++;
    column[slot] = others[e]!;
    edge[slot] = e;
  });
  return { width, column: tf.tensor1d(column, "int32"), edge: tf.tensor1d(edge, "int32") };
}

export function sparseOpsStructure(inputs: number, outputs: number, sources: Int32Array, targets: Int32Array): SparseOpsStructure {
  if (sources.length !== targets.length) throw new Error(`sparse ops kernel: ${sources.length} sources for ${targets.length} targets`);
  for (let e = 0; e < sources.length; e++) {
    if (!(sources[e]! >= 0 && sources[e]! < inputs && targets[e]! >= 0 && targets[e]! < outputs)) {
      throw new Error(`sparse ops kernel: connection ${e} (${sources[e]} → ${targets[e]}) is outside ${inputs} inputs × ${outputs} outputs`);
    }
  }
  return {
    inputs,
    outputs,
    connections: sources.length,
    source: tf.tensor1d(sources, "int32"),
    target: tf.tensor1d(targets, "int32"),
    byTarget: paddedLists(outputs, targets, sources, inputs),
    bySource: paddedLists(inputs, sources, targets, outputs),
  };
}

/** out[b, g] = Σ over g's padded list of operand[b, column] · w[edge]. */
function paddedProduct(operand: Tensor2D, w: Tensor1D, lists: PaddedLists, groups: number): Tensor2D {
  const batch = operand.shape[0];
  const padded = tf.concat2d([operand, tf.zeros([batch, 1])], 1);
  const weights = tf.gather(tf.concat1d([w, tf.zeros([1])]), lists.edge);
  const terms = tf.mul(tf.gather(padded, lists.column, 1), weights);
  return tf.sum(tf.reshape(terms, [batch, groups, lists.width]), 2) as Tensor2D;
}

/** x [batch, inputs] · (the connections with weights w) → [batch, outputs]; differentiable in x and w. */
export function sparseDenseOps(x: Tensor2D, w: Tensor1D, structure: SparseOpsStructure): Tensor2D {
  if (x.shape[1] !== structure.inputs) throw new Error(`sparse ops kernel: x has ${x.shape[1]} columns, the structure ${structure.inputs} inputs`);
  if (w.size !== structure.connections) throw new Error(`sparse ops kernel: ${w.size} weights for ${structure.connections} connections`);
  const s = structure;
  const op = tf.customGrad((a, b, save) => {
    const [input, weights] = [a as Tensor2D, b as Tensor1D];
    (save as (tensors: Tensor[]) => void)([input, weights]);
    return {
      value: paddedProduct(input, weights, s.byTarget, s.outputs),
      gradFunc: (dy, saved) => {
        const [savedX, savedW] = saved as [Tensor2D, Tensor1D];
        const g = dy as Tensor2D;
        const dx = paddedProduct(g, savedW, s.bySource, s.inputs);
        const dw = tf.sum(tf.mul(tf.gather(g, s.target, 1), tf.gather(savedX, s.source, 1)), 0);
        return [dx, dw];
      },
    };
  });
  return op(x, w) as Tensor2D;
}

export function disposeSparseOpsStructure(structure: SparseOpsStructure): void {
  const s = structure;
  tf.dispose([s.source, s.target, s.byTarget.column, s.byTarget.edge, s.bySource.column, s.bySource.edge]);
}
