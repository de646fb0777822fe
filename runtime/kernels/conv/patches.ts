/**
 * im2col for NHWC tensors: the taps of every window as the rows of a matrix.
 * The masked convolution's weight gradient uses it where a convolution
 * cannot compute that gradient (a stride and a dilation both above 1).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { SpatialPair } from "../../spec.js";

/** Where a convolution's windows sit in its (already padded) input. */
export interface Taps {
  readonly kernel: SpatialPair;
  readonly stride: SpatialPair;
  readonly dilation: SpatialPair;
  /** Output rows and columns. */
  readonly out: SpatialPair;
}

/** The input positions tap (i, j) reads, as a strided slice of the padded input: [batch, out rows, out cols, channels]. */
function tapSlice(padded: Tensor4D, taps: Taps, i: number, j: number): Tensor4D {
  const [batch, , , channels] = padded.shape;
  const [sh, sw] = taps.stride;
  const top = i * taps.dilation[0];
  const left = j * taps.dilation[1];
  const end = [batch, top + (taps.out[0] - 1) * sh + 1, left + (taps.out[1] - 1) * sw + 1, channels];
  return tf.stridedSlice(padded, [0, top, left, 0], end, [1, sh, sw, 1]) as Tensor4D;
}

/** Every window's taps as one row: [batch · out rows · out cols, kernel rows · kernel cols · channels], taps (row, col, channel) in HWIO order. */
export function patches(padded: Tensor4D, taps: Taps): Tensor2D {
  const [batch, , , channels] = padded.shape;
  const slices: Tensor4D[] = [];
  for (let i = 0; i < taps.kernel[0]; i++) for (let j = 0; j < taps.kernel[1]; j++) slices.push(tapSlice(padded, taps, i, j));
  const stacked = slices.length === 1 ? slices[0]! : tf.stack(slices, 3);
  return tf.reshape(stacked, [batch * taps.out[0] * taps.out[1], taps.kernel[0] * taps.kernel[1] * channels]);
}
