/**
 * A pruned conv's filters and what its pruned inputs add to its live
 * outputs (pruned-maps.ts). A pruned input channel holds the same values
 * for every sample, so its share is computed once for the batch and added
 * where the conv adds its bias.
 *
 * When each pruned input is one number c[p] (the same at every position),
 * output position q of live channel o gets Σ over the taps t that read
 * inside the map of K[t, o] = Σ_p c[p] · w[t, p, o]: the product of a 0/1
 * coverage matrix [positions, taps] (which taps fall on padding is
 * geometry alone) with K. Without padding every tap reads inside, and the
 * share is one number per channel, folded into the bias. Constants padded
 * by a cell network's concatenation (a [1, height, width, pruned] map) take
 * the exact general way: one convolution of that map.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { maskedConv2d, type ConvGeometry } from "../kernels/conv/masked-conv.js";
import { pick, pickKernel } from "./channel-picks.js";
import { remembered, rememberedConstant } from "./remembered.js";
import type { ConvStore } from "./store.js";

/** A conv's filters over `inputs` for `liveOut` (a slice of its masked weight): one gather, remembered while weight, mask and channels stay. */
export function filters(store: ConvStore, inputs: readonly number[], liveOut: readonly number[], slot: "live filters" | "pruned filters"): Tensor4D {
  const from = [store.weight, store.mask, inputs.join(), liveOut.join()];
  return remembered(store, slot, from, () => pickKernel(tf.mul(store.weight, store.mask) as Tensor4D, inputs, liveOut, store, slot));
}

/** Ones of `filters`' shape: the mask maskedConv2d gets with a masked weight's slice (the slice's gradient takes the mask). */
export function onesLike(store: ConvStore, filters: Tensor4D, role: "live filters" | "pruned filters"): Tensor4D {
  return rememberedConstant(store, `ones for ${role}`, [filters.shape.join()], () => tf.ones(filters.shape) as Tensor4D);
}

/** coverage[q, t]: 1 where tap t of output position q reads inside the height × width input, 0 where it reads padding; null when none does. */
function tapCoverage(geometry: ConvGeometry, height: number, width: number): Float32Array | null {
  const [[top], [left]] = geometry.pad;
  const [kh, kw] = geometry.kernel;
  const [oh, ow] = geometry.out;
  const inside = (at: number, size: number): boolean => at >= 0 && at < size;
  const coverage = new Float32Array(oh * ow * kh * kw);
  let padded = false;
  for (let r = 0; r < oh; r++)
    for (let q = 0; q < ow; q++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const row = r * geometry.stride[0] - top + i * geometry.dilation[0];
          const col = q * geometry.stride[1] - left + j * geometry.dilation[1];
          const covered = inside(row, height) && inside(col, width);
          padded ||= !covered;
          coverage[((r * ow + q) * kh + i) * kw + j] = covered ? 1 : 0;
        }
  return padded ? coverage : null;
}

/** K[t, o] = Σ_p c[p] · w[t, p, o] for uniform constants c ([1, 1, 1, pruned]) and the pruned inputs' filters. */
function tapShares(constants: Tensor4D, sliced: Tensor4D): Tensor2D {
  const [kh, kw, pruned, live] = sliced.shape;
  const weighted = tf.mul(tf.reshape(sliced, [kh * kw, pruned, live]), tf.reshape(constants, [1, pruned, 1]));
  return tf.sum(weighted, 1) as Tensor2D;
}

/** The uniform constants' share plus `bias`: [live] without padding, else [1, out rows, out cols, live]. */
function uniformShare(constants: Tensor4D, sliced: Tensor4D, bias: Tensor1D, geometry: ConvGeometry, height: number, width: number, store: ConvStore): Tensor1D | Tensor4D {
  const shares = tapShares(constants, sliced);
  const coverage = tapCoverage(geometry, height, width);
  if (coverage === null) return tf.add(bias, tf.sum(shares, 0)) as Tensor1D;
  const [oh, ow] = geometry.out;
  const taps = shares.shape[0];
  const matrix = rememberedConstant(store, "coverage", [height, width], () => tf.tensor2d(coverage, [oh * ow, taps]));
  return tf.add(tf.reshape(tf.matMul(matrix, shares), [1, oh, ow, shares.shape[1]]), bias) as Tensor4D;
}

/**
 * The conv's bias for its live outputs plus its pruned inputs' share of
 * them. Remembered while the parameters and the constants it reads stay,
 * so an inference pass computes none of it.
 */
export function liveOffset(
  values: Tensor4D,
  pruned: readonly number[],
  constants: Tensor4D,
  store: ConvStore,
  geometry: ConvGeometry,
  liveOut: readonly number[],
): Tensor1D | Tensor4D {
  const bias = remembered(store, "bias", [store.bias, liveOut.join()], () => pick(store.bias, liveOut, store, "live"));
  if (pruned.length === 0) return bias;
  const [, height, width] = values.shape;
  const from = [store.weight, store.mask, store.bias, constants, pruned.join(), liveOut.join(), height, width];
  return remembered(store, "offset", from, () => {
    const sliced = filters(store, pruned, liveOut, "pruned filters");
    if (constants.shape[1] === 1 && constants.shape[2] === 1) return uniformShare(constants, sliced, bias, geometry, height, width, store);
    return maskedConv2d(constants, sliced, onesLike(store, sliced, "pruned filters"), bias, geometry, { inputNeedsGradient: true });
  });
}
