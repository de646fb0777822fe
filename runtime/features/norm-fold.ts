/**
 * Inference batch norm as x · scale + offset (scale = gain / √(variance + ε),
 * offset = shift − mean · scale), and folded into the conv before it: a conv
 * whose output goes straight into an inference norm computes
 * conv(x, W · scale) + (b · scale + offset), the same up to float rounding,
 * so the norm costs no pass over the maps at all (and a relu after the norm
 * runs inside the native product, masked-conv.ts). The folded filters and
 * bias depend on parameters alone and are remembered between passes as the
 * filters are (remembered.ts); a pruned input's share of the conv's output
 * (constant-inputs.ts) is folded with the bias.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { maskedConv2d, type ConvGeometry } from "../kernels/conv/masked-conv.js";
import { pick } from "./channel-picks.js";
import { filters, liveOffset, onesLike } from "./constant-inputs.js";
import type { PrunedMaps } from "./pruned-maps.js";
import { remembered } from "./remembered.js";
import type { ConvStore, NormStore } from "./store.js";

/** The inference norm's scale and offset for `channels`, remembered per parameter change (the slots' `role`: which part they serve). */
export function foldedNorm(store: NormStore, channels: readonly number[], role: "live" | "pruned"): { scale: Tensor1D; offset: Tensor1D } {
  const from = [store.gain, store.shift, store.mean, store.variance, channels.join()];
  const scaleOf = (): Tensor1D => tf.mul(store.gain, tf.rsqrt(tf.add(store.variance, store.layer.epsilon)));
  const scale = remembered(store, `${role} scale`, from, () => pick(scaleOf(), channels, store, role));
  const offset = remembered(store, `${role} offset`, from, () => pick(tf.sub(store.shift, tf.mul(store.mean, scaleOf())) as Tensor1D, channels, store, role));
  return { scale, offset };
}

/**
 * The live output channels of `conv` followed by the inference norm `norm`,
 * as one convolution with the norm folded in (relu after it with `relu`).
 * Returns the live maps only; the pruned channels' constants are the
 * caller's (pruned-maps.ts's biasConstants and normedConstants).
 */
export function foldedConvNorm(
  x: PrunedMaps,
  conv: ConvStore,
  norm: NormStore,
  geometry: ConvGeometry,
  liveOut: readonly number[],
  options: { readonly inputNeedsGradient: boolean; readonly relu: boolean },
): Tensor4D {
  const { scale, offset } = foldedNorm(norm, liveOut, "live");
  const from = [conv.weight, conv.mask, scale, x.live.join(), liveOut.join()];
  const folded = remembered(norm, "folded filters", from, () => tf.mul(filters(conv, x.live, liveOut, "live filters"), scale) as Tensor4D);
  const share = liveOffset(x.values, x.pruned, x.constants, conv, geometry, liveOut);
  const bias = remembered(norm, "folded bias", [share, scale, offset], () => tf.add(tf.mul(share, scale), offset) as Tensor1D | Tensor4D);
  return maskedConv2d(x.values, folded, onesLike(conv, folded, "live filters"), bias, geometry, options);
}
