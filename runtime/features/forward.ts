/**
 * The feature layers' forward pass. What the user writes and the flattened
 * output are channels first ([channels, height, width], as PyTorch); in
 * between the maps are NHWC, TensorFlow.js's native layout: the input is
 * transposed once on the way in and once on the way out, so the flattened
 * features are ordered channel, row, column.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { activate } from "../activations.js";
import { maskedConv2d, type ConvGeometry } from "../kernels/conv/masked-conv.js";
import type { ActivationName } from "../spec.js";
import { batchNorm } from "./batch-norm.js";
import { windowGeometry } from "./shapes.js";
import type { ConvStore, FeatureStore, WindowStore } from "./store.js";

export interface FeatureOptions {
  readonly activation: ActivationName;
  /** Batch norms use and update batch statistics (true) or use their running ones (false). */
  readonly training: boolean;
}

/** The geometry a conv runs with: its window, the padding its `same`/`valid` rule gives, and its outputs. */
export function convGeometry(store: ConvStore): ConvGeometry {
  const { layer, input } = store;
  const { rows, cols } = windowGeometry(input[1], input[2], layer.kernel, layer.stride, layer.dilation, layer.padding);
  return {
    kernel: layer.kernel,
    stride: layer.stride,
    dilation: layer.dilation,
    pad: [
      [rows.before, rows.after],
      [cols.before, cols.after],
    ],
    out: [rows.size, cols.size],
  };
}

function pool(x: Tensor4D, store: WindowStore): Tensor4D {
  const { layer } = store;
  if (layer.kind === "globalAvgPool") return tf.mean(x, [1, 2], true);
  const size: [number, number] = [layer.size[0], layer.size[1]];
  const stride: [number, number] = [layer.stride[0], layer.stride[1]];
  return layer.kind === "maxPool" ? tf.maxPool(x, size, stride, layer.padding) : tf.avgPool(x, size, stride, layer.padding);
}

/**
 * The flattened features [batch, channels · height · width] of `x`, a batch
 * of flattened channels-first samples of `inputShape`. Runs inside the
 * caller's `tf.tidy`.
 */
export function featureForward(stores: readonly FeatureStore[], x: Tensor2D, inputShape: readonly number[], options: FeatureOptions): Tensor2D {
  const batch = x.shape[0];
  let maps = tf.transpose(tf.reshape(x, [batch, inputShape[0]!, inputShape[1]!, inputShape[2]!]), [0, 2, 3, 1]) as Tensor4D;
  stores.forEach((store, i) => {
    if (store.kind === "conv") {
      maps = maskedConv2d(maps, store.weight, store.mask, store.bias, convGeometry(store), { inputNeedsGradient: i > 0 });
    } else if (store.kind === "batchNorm") {
      maps = batchNorm(maps, store, options.training);
    } else {
      maps = pool(maps, store);
    }
    if (store.kind !== "window" && store.layer.activate) maps = activate(options.activation, maps);
  });
  const [, height, width, channels] = maps.shape;
  return tf.reshape(tf.transpose(maps, [0, 3, 1, 2]), [batch, channels * height * width]);
}
