/**
 * Picking channels (the last axis) of parameters for the pruned forward
 * (pruned-maps.ts). While a gradient is recorded the pick is a product
 * with a 0/1 selection matrix [channels, picked] (exact: each entry is one
 * value times 1 plus zeros), remembered by its store: one matrix product
 * forward and one back, where pickChannels' gather took a gather forward
 * and a concatenation and a gather back (a training step of
 * examples/cells.ds ran about 150 such picks). With no gradient recorded a
 * plain gather does, and inference remembers what it picked anyway.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { pickChannels } from "../kernels/conv/channels.js";
import { denseProduct } from "../kernels/native/index.js";
import { rememberedConstant } from "./remembered.js";

/** Past this many entries a selection matrix costs more memory than the gather's gradient costs time. */
const SELECTION_LIMIT = 1 << 18;

/** Which pick of its store a selection matrix serves (one matrix per role, replaced when its channels change). */
export type PickRole = "live" | "pruned" | "live filters" | "pruned filters";

/** The 0/1 matrix [channels, indices] whose column k has its 1 at row indices[k]. */
function selection(channels: number, indices: readonly number[], owner: object, role: PickRole): Tensor2D {
  return rememberedConstant(owner, `selection ${role}`, [channels, indices.join()], () => {
    const values = new Float32Array(channels * indices.length);
    indices.forEach((c, k) => (values[c * indices.length + k] = 1));
    return tf.tensor2d(values, [channels, indices.length]);
  });
}

/**
 * a · s for a constant 0/1 matrix s (a selection or a placement), on the
 * native BLAS where it is loaded (dense-product.ts; TensorFlow.js's WASM
 * BatchMatMul took 0.48 ms for the bench's [3136, 32] · [32, 64]
 * placement), with the gradient dy · sᵀ for `a` only: s is no parameter.
 */
export function constantProduct(a: Tensor2D, s: Tensor2D): Tensor2D {
  if (!tf.engine().isTapeOn()) return denseProduct(a, s);
  const op = tf.customGrad((input, save) => {
    (save as (tensors: Tensor[]) => void)([s]);
    return { value: denseProduct(input as Tensor2D, s), gradFunc: (dy, saved) => denseProduct(dy as Tensor2D, saved[0] as Tensor2D, { transposeB: true }) };
  });
  return op(a) as Tensor2D;
}

/** `t`'s last axis at `indices` (distinct), with a gradient every backend runs; `owner` (a store) keeps the selection matrix. */
export function gatherChannels<T extends Tensor>(t: T, indices: readonly number[], owner: object, role: PickRole): T {
  if (!tf.engine().isTapeOn()) return tf.gather(t, Array.from(indices), t.rank - 1) as T;
  const channels = t.shape[t.rank - 1]!;
  if (channels * indices.length > SELECTION_LIMIT) return pickChannels(t, indices);
  const rows = t.size / channels;
  const picked = constantProduct(tf.reshape(t, [rows, channels]) as Tensor2D, selection(channels, indices, owner, role));
  return tf.reshape(picked, [...t.shape.slice(0, -1), indices.length]) as T;
}

/** `t`'s last axis at `indices`, or `t` itself when they are all its channels in order. */
export function pick<T extends Tensor>(t: T, indices: readonly number[], owner: object, role: PickRole): T {
  const whole = indices.length === t.shape[t.rank - 1] && indices.every((c, k) => c === k);
  return whole ? t : gatherChannels(t, indices, owner, role);
}

/**
 * The [rows, cols, inputs, outputs] part of an HWIO kernel: one pick over
 * its flattened in × out axis, where picking each axis in turn took two.
 */
export function pickKernel(t: Tensor4D, inputs: readonly number[], outputs: readonly number[], owner: object, role: PickRole): Tensor4D {
  const [rows, cols, cin, cout] = t.shape;
  const whole = (indices: readonly number[], size: number): boolean => indices.length === size && indices.every((c, k) => c === k);
  if (whole(inputs, cin) && whole(outputs, cout)) return t;
  const entries = inputs.flatMap((i) => outputs.map((o) => i * cout + o));
  return tf.reshape(gatherChannels(tf.reshape(t, [rows * cols, cin * cout]), entries, owner, role), [rows, cols, inputs.length, outputs.length]);
}
