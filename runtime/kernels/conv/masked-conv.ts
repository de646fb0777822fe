/**
 * The masked 2-D convolution: `conv(x, w ⊙ mask) + bias`, NHWC input,
 * HWIO weight and mask (mask 0/1 as float32), bias per output channel.
 *
 * The gradient is written out: the weight gradient is the patches' product
 * with the output gradient, multiplied by the mask, so a pruned weight's
 * gradient is exactly zero and no optimizer moves it; the input gradient is
 * the output gradient through the masked weight, summed back into the input
 * positions (patches.ts). The forward pass is TensorFlow.js's conv2d, or the
 * patches' product where conv2d refuses a stride and a dilation both above 1.
 */
import * as tf from "@tensorflow/tfjs-core";
import "../../gradients.js";
import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import type { SpatialPair } from "../../spec.js";
import { patches, unpatch, type Taps } from "./patches.js";

/** A convolution's window and the padding that gives its outputs. */
export interface ConvGeometry extends Taps {
  /** [[top, bottom], [left, right]] zero padding of the input. */
  readonly pad: readonly [SpatialPair, SpatialPair];
}

export interface ConvOptions {
  /** Whether anything upstream needs the input's gradient (false for the first layer). */
  readonly inputNeedsGradient: boolean;
}

type SaveFunction = (tensors: Tensor[]) => void;

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

function convolve(padded: Tensor4D, effective: Tensor4D, geometry: ConvGeometry): Tensor4D {
  const { stride, dilation } = geometry;
  const strided = stride[0] > 1 || stride[1] > 1;
  const dilated = dilation[0] > 1 || dilation[1] > 1;
  if (!(strided && dilated)) return tf.conv2d(padded, effective, [stride[0], stride[1]], "valid", "NHWC", [dilation[0], dilation[1]]);
  const [kh, kw, inChannels, outChannels] = effective.shape;
  const product = tf.matMul(patches(padded, geometry), tf.reshape(effective, [kh * kw * inChannels, outChannels]));
  return tf.reshape(product, [padded.shape[0], geometry.out[0], geometry.out[1], outChannels]);
}

/**
 * `conv(x, weight ⊙ mask) + bias` with the gradient described above.
 * @param x - [batch, height, width, in channels].
 * @param weight - [kernel rows, kernel cols, in channels, out channels]; `mask` the same shape.
 */
export function maskedConv2d(x: Tensor4D, weight: Tensor4D, mask: Tensor4D, bias: Tensor1D, geometry: ConvGeometry, options: ConvOptions): Tensor4D {
  const op = tf.customGrad((input, w, m, b, save) => {
    const padded = padInput(input as Tensor4D, geometry.pad);
    const effective = tf.mul(w as Tensor4D, m as Tensor4D) as Tensor4D;
    (save as SaveFunction)([padded, effective, m as Tensor]);
    return {
      value: tf.add(convolve(padded, effective, geometry), b as Tensor1D),
      gradFunc: (dy, saved) => {
        const [p, e, maskSaved] = saved as [Tensor4D, Tensor4D, Tensor4D];
        const outChannels = e.shape[3];
        const flatDy = tf.reshape(dy as Tensor, [-1, outChannels]) as tf.Tensor2D;
        const weightRows = tf.matMul(tf.transpose(patches(p, geometry)), flatDy);
        const dw = tf.mul(tf.reshape(weightRows, e.shape), maskSaved);
        const db = tf.sum(flatDy, 0);
        const dx = options.inputNeedsGradient ? inputGradient(flatDy, e, p.shape, geometry) : tf.zerosLike(input as Tensor);
        return [dx, dw, tf.zerosLike(maskSaved), db];
      },
    };
  });
  return op(x, weight, mask, bias) as Tensor4D;
}

/** The input's gradient: dy through the masked weight, summed back into the positions read, padding cut away. */
function inputGradient(flatDy: tf.Tensor2D, effective: Tensor4D, paddedShape: readonly number[], geometry: ConvGeometry): Tensor4D {
  const [kh, kw, inChannels, outChannels] = effective.shape;
  const rows = tf.matMul(flatDy, tf.transpose(tf.reshape(effective, [kh * kw * inChannels, outChannels]))) as tf.Tensor2D;
  const shape = paddedShape as [number, number, number, number];
  const full = unpatch(rows, geometry, shape);
  const [[top, bottom], [left, right]] = geometry.pad;
  if (top + bottom + left + right === 0) return full;
  return tf.slice(full, [0, top, left, 0], [shape[0], shape[1] - top - bottom, shape[2] - left - right, shape[3]]);
}
