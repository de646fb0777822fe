/**
 * im2col and its adjoint for NHWC tensors: the taps of every window as the
 * rows of a matrix, and back. They carry the masked convolution's gradients
 * (and its forward pass where TensorFlow.js's conv2d cannot run: a stride and
 * a dilation both above 1), built only from slices, pads and reshapes, which
 * every backend has — the WASM backend has no Conv2DBackpropFilter.
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

/** Spreads [batch, rows, cols, c] to every stride-th position of [batch, (rows−1)·sh+1, (cols−1)·sw+1, c], zeros between. */
function spread(values: Tensor4D, stride: SpatialPair): Tensor4D {
  const [sh, sw] = stride;
  if (sh === 1 && sw === 1) return values;
  const [batch, rows, cols, channels] = values.shape;
  const gapped = tf.pad(tf.reshape(values, [batch, rows, 1, cols, 1, channels]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const regular = tf.reshape(gapped, [batch, rows * sh, cols * sw, channels]) as Tensor4D;
  return tf.slice(regular, [0, 0, 0, 0], [batch, (rows - 1) * sh + 1, (cols - 1) * sw + 1, channels]);
}

/**
 * The adjoint of `patches`: each row's entries summed back into the padded
 * input positions they were read from. `paddedShape` is [batch, rows, cols, channels].
 */
export function unpatch(rows: Tensor2D, taps: Taps, paddedShape: readonly [number, number, number, number]): Tensor4D {
  const [batch, height, width, channels] = paddedShape;
  const [outRows, outCols] = taps.out;
  const taps5 = tf.reshape(rows, [batch, outRows, outCols, taps.kernel[0] * taps.kernel[1], channels]);
  const parts: Tensor4D[] = [];
  for (let i = 0; i < taps.kernel[0]; i++) {
    for (let j = 0; j < taps.kernel[1]; j++) {
      const t = i * taps.kernel[1] + j;
      const slab = tf.reshape(tf.slice(taps5, [0, 0, 0, t, 0], [batch, outRows, outCols, 1, channels]), [batch, outRows, outCols, channels]) as Tensor4D;
      const spreadOut = spread(slab, taps.stride);
      const top = i * taps.dilation[0];
      const left = j * taps.dilation[1];
      parts.push(
        tf.pad(spreadOut, [
          [0, 0],
          [top, height - top - spreadOut.shape[1]],
          [left, width - left - spreadOut.shape[2]],
          [0, 0],
        ]),
      );
    }
  }
  return parts.length === 1 ? parts[0]! : (tf.addN(parts) as Tensor4D);
}
