/**
 * The masked 2-D convolution: `conv(x, w ⊙ mask) + bias`, NHWC input,
 * HWIO weight and mask (mask 0/1 as float32), bias per output channel.
 *
 * The gradient is written out, from ops every backend has (the WASM backend
 * has no Conv2DBackpropFilter): the weight gradient is a convolution of the
 * input with the output gradient (or the patches' product, patches.ts, where
 * that would need a stride and a dilation both above 1), multiplied by the
 * mask, so a pruned weight's gradient is exactly zero and no optimizer moves
 * it; the input gradient is the transposed convolution of the output gradient
 * with the masked weight. A dilated kernel is run as the same kernel with
 * zeros between its taps where conv2d or its transpose cannot dilate.
 *
 * Where the native addon is loaded (Node, WASM or CPU backend) the same
 * convolution runs as im2col × weight on its BLAS instead (native/conv.c,
 * ../native/conv-product.ts): TensorFlow.js's WASM Conv2DBackpropInput was
 * three quarters of a step's time. Its results agree within float32 rounding,
 * and the weight gradient is multiplied by the mask the same way.
 */
import * as tf from "@tensorflow/tfjs-core";
import "../../gradients.js";
import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import type { SpatialPair } from "../../spec.js";
import { nativeConv, type NativeConv } from "../native/index.js";
import { patches, type Taps } from "./patches.js";

/** A convolution's window and the padding that gives its outputs. */
export interface ConvGeometry extends Taps {
  /** [[top, bottom], [left, right]] zero padding of the input. */
  readonly pad: readonly [SpatialPair, SpatialPair];
}

export interface ConvOptions {
  /** Whether anything upstream needs the input's gradient (false for the first layer). */
  readonly inputNeedsGradient: boolean;
  /** The weight gradient at every entry, masked ones too (RigL ranks where to regrow by it); default false: masked entries get 0. */
  readonly denseWeightGradient?: boolean;
  /** Learnable masks: the mask gets its gradient too, dW ⊙ weight (default false: none). */
  readonly maskNeedsGradient?: boolean;
  /** max(0, ·) of the sum, in the same kernel where the native convolution runs (default false). */
  readonly relu?: boolean;
}

type SaveFunction = (tensors: Tensor[]) => void;

/** What a customGrad function returns: the value and its gradient with respect to each input. */
interface ConvResult {
  readonly value: Tensor4D;
  readonly gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor[];
}

const above1 = (pair: SpatialPair): boolean => pair[0] > 1 || pair[1] > 1;

function padInput(x: Tensor4D, pad: ConvGeometry["pad"]): Tensor4D {
  const [[top, bottom], [left, right]] = pad;
  if (top + bottom + left + right === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
}

/** The kernel with dilation − 1 zeros between its taps: the undilated kernel that computes the same convolution. */
function spreadKernel(kernel: Tensor4D, dilation: SpatialPair): Tensor4D {
  if (!above1(dilation)) return kernel;
  const [kh, kw, cin, cout] = kernel.shape;
  const [dh, dw] = dilation;
  const gapped = tf.pad(tf.reshape(kernel, [kh, 1, kw, 1, cin, cout]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const regular = tf.reshape(gapped, [kh * dh, kw * dw, cin, cout]) as Tensor4D;
  return tf.slice(regular, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, cin, cout]);
}

function convolve(padded: Tensor4D, effective: Tensor4D, geometry: ConvGeometry): Tensor4D {
  const { stride, dilation } = geometry;
  const strides: [number, number] = [stride[0], stride[1]];
  if (above1(stride) && above1(dilation)) return tf.conv2d(padded, spreadKernel(effective, dilation), strides, "valid");
  return tf.conv2d(padded, effective, strides, "valid", "NHWC", [dilation[0], dilation[1]]);
}

/**
 * dW[i, j, c, o] = Σ x[b, r·s + i·d, q·s + j·d, c] · dy[b, r, q, o]: a
 * convolution over the batch with the input's channels as its batch, the
 * output gradient as its filter, stride d and dilation s.
 */
function weightGradient(padded: Tensor4D, dy: Tensor4D, geometry: ConvGeometry): Tensor4D {
  const [kh, kw] = geometry.kernel;
  const cin = padded.shape[3];
  const cout = dy.shape[3];
  if (above1(geometry.stride) && above1(geometry.dilation)) {
    const rows = tf.matMul(tf.transpose(patches(padded, geometry)), tf.reshape(dy, [-1, cout]) as tf.Tensor2D);
    return tf.reshape(rows, [kh, kw, cin, cout]);
  }
  const byChannel = tf.transpose(padded, [3, 1, 2, 0]) as Tensor4D;
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D;
  const { stride, dilation } = geometry;
  const full = tf.conv2d(byChannel, filter, [dilation[0], dilation[1]], "valid", "NHWC", [stride[0], stride[1]]);
  return tf.transpose(tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]), [1, 2, 0, 3]);
}

/** The input's gradient: the transposed convolution of dy with the masked weight, padding cut away. */
function inputGradient(dy: Tensor4D, effective: Tensor4D, paddedShape: readonly number[], geometry: ConvGeometry): Tensor4D {
  const shape = paddedShape as [number, number, number, number];
  const kernel = spreadKernel(effective, geometry.dilation);
  const full = tf.conv2dTranspose(dy, kernel, shape, [geometry.stride[0], geometry.stride[1]], "valid");
  const [[top, bottom], [left, right]] = geometry.pad;
  if (top + bottom + left + right === 0) return full;
  return tf.slice(full, [0, top, left, 0], [shape[0], shape[1] - top - bottom, shape[2] - left - right, shape[3]]);
}

/** The bias added to a convolution's output: per output channel (rank 1) or an offset the same for every sample. */
function biasGradient(dy: Tensor4D, bias: Tensor): Tensor {
  return bias.rank === 1 ? tf.sum(dy, [0, 1, 2]) : tf.sum(dy, 0, true);
}

/** The weight's and the mask's gradients from the weight gradient at every entry: masked unless dense ones are asked for; a learned mask's is full ⊙ weight. */
function weightAndMaskGradients(full: Tensor4D, mask: Tensor4D, weight: Tensor4D, options: ConvOptions): [Tensor, Tensor] {
  const dw = options.denseWeightGradient === true ? full : tf.mul(full, mask);
  return [dw, options.maskNeedsGradient === true ? tf.mul(full, weight) : tf.zerosLike(mask)];
}

/** The gradient reaching the sum: dy, or where a relu followed, dy where the output is positive and 0 elsewhere (as tf.relu's own gradient). */
function beforeRelu(dy: Tensor, y: Tensor | undefined): Tensor4D {
  return (y === undefined ? dy : tf.mul(dy, tf.step(y))) as Tensor4D;
}

/** Saves `tensors` and, where a relu follows, the output last (beforeRelu reads it). */
function withOutput(value: Tensor4D, options: ConvOptions, save: SaveFunction, tensors: Tensor[]): Tensor4D {
  save(options.relu === true ? [...tensors, value] : tensors);
  return value;
}

/** The convolution from TensorFlow.js's ops, every backend: padding stored, the gradients as described above. */
function tfConv(input: Tensor4D, w: Tensor4D, m: Tensor4D, b: Tensor, geometry: ConvGeometry, options: ConvOptions, save: SaveFunction): ConvResult {
  const padded = padInput(input, geometry.pad);
  const effective = tf.mul(w, m) as Tensor4D;
  // Not tf.fused.conv2d: the WASM backend's FusedConv2D checks the bias's data's shape, which a reshaped bias does not have.
  const sum = tf.add(convolve(padded, effective, geometry), b) as Tensor4D;
  return {
    value: withOutput(options.relu === true ? tf.relu(sum) : sum, options, save, [padded, effective, m, w]),
    gradFunc: (dy, saved) => {
      const [p, e, maskSaved, weightSaved, y] = saved as [Tensor4D, Tensor4D, Tensor4D, Tensor4D, Tensor4D?];
      const gradient = beforeRelu(dy, y);
      const [dw, dm] = weightAndMaskGradients(weightGradient(p, gradient, geometry), maskSaved, weightSaved, options);
      const dx = options.inputNeedsGradient ? inputGradient(gradient, e, p.shape, geometry) : tf.zerosLike(input);
      return [dx, dw, dm, biasGradient(gradient, b)];
    },
  };
}

/** The same on the native BLAS (native/conv.c): im2col × masked weight forward, patchesᵀ · dy and col2im(dy · weightᵀ) backward. */
function nativeConvResult(native: NativeConv, input: Tensor4D, w: Tensor4D, m: Tensor4D, b: Tensor, options: ConvOptions, save: SaveFunction): ConvResult {
  const effective = tf.mul(w, m) as Tensor4D;
  const perChannel = b.rank === 1;
  // An offset bias goes into the product as its start too (conv.c takes [out rows, out cols, out] per sample).
  const y = native.forward(input, effective, b as Tensor1D | Tensor4D, options.relu === true);
  return {
    value: withOutput(y, options, save, [input, effective, m, w]),
    gradFunc: (dy, saved) => {
      const [x, e, maskSaved, weightSaved, out] = saved as [Tensor4D, Tensor4D, Tensor4D, Tensor4D, Tensor4D?];
      const gradient = beforeRelu(dy, out);
      const [dw, dm] = weightAndMaskGradients(native.filterGradient(x, gradient), maskSaved, weightSaved, options);
      const dx = options.inputNeedsGradient ? native.inputGradient(gradient, e) : tf.zerosLike(x);
      return [dx, dw, dm, perChannel ? native.biasGradient(gradient) : biasGradient(gradient, b)];
    },
  };
}

/**
 * `conv(x, weight ⊙ mask) + bias` with the gradient described above: on the
 * native BLAS where nativeConv says it can run, else from TensorFlow.js's ops.
 * @param x - [batch, height, width, in channels].
 * @param weight - [kernel rows, kernel cols, in channels, out channels]; `mask` the same shape.
 * @param bias - per output channel, or an offset [1, out height, out width, out channels] the same for every sample.
 */
export function maskedConv2d(x: Tensor4D, weight: Tensor4D, mask: Tensor4D, bias: Tensor1D | Tensor4D, geometry: ConvGeometry, options: ConvOptions): Tensor4D {
  const native = nativeConv(x.shape, weight.shape, geometry);
  const op = tf.customGrad((input, w, m, b, save) => {
    const args = [input as Tensor4D, w as Tensor4D, m as Tensor4D, b as Tensor] as const;
    return native === undefined ? tfConv(...args, geometry, options, save as SaveFunction) : nativeConvResult(native, ...args, options, save as SaveFunction);
  });
  return op(x, weight, mask, bias) as Tensor4D;
}
