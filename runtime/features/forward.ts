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
import { biasConstants, flattenChannelsFirst, fullMaps, normedConstants, prunedActivation, prunedConv, prunedNorm, prunedPool, type PrunedMaps } from "./pruned-maps.js";
import { foldedConvNorm } from "./norm-fold.js";
import { liveChannels } from "./masks.js";
import { effectiveMask, type LearnedMasks } from "../masks/learned.js";
import type { ConvStore, FeatureStore, NormStore, WindowStore } from "./store.js";

export interface FeatureOptions {
  readonly activation: ActivationName;
  /** Batch norms use and update batch statistics (true) or use their running ones (false). */
  readonly training: boolean;
  /** Conv weights get their gradient at every entry, masked ones too (Model.denseWeightGradients; default false). */
  readonly denseWeightGradient?: boolean;
  /** Convs whose masks learn, by name (masks/learned.ts). */
  readonly learned?: LearnedMasks;
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
  if (layer.kind === "maxPool") return tf.maxPool(x, size, stride, layer.padding);
  const { rows, cols } = windowGeometry(store.input[1], store.input[2], size, stride, [1, 1], layer.padding);
  if (rows.before + rows.after + cols.before + cols.after === 0) return tf.avgPool(x, size, stride, "valid");
  return paddedAvgPool(x, size, stride, [
    [rows.before, rows.after],
    [cols.before, cols.after],
  ]);
}

/**
 * A `same` average pool as its forward defines it (padding not counted) with
 * that forward's own gradient: the padded maps' valid window sums over each
 * window's count of real entries. tf.avgPool's gradient under `same`
 * padding does not match its forward (test/pytorch/parity.test.ts found the
 * difference, on a 7×6 map with a 3×3 window and stride 2, against
 * PyTorch's autograd); the valid pool's does.
 */
function paddedAvgPool(x: Tensor4D, size: [number, number], stride: [number, number], padding: [[number, number], [number, number]]): Tensor4D {
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], padding[0], padding[1], [0, 0]];
  const sums = tf.avgPool(tf.pad(x, pad), size, stride, "valid");
  const counts = tf.avgPool(tf.pad(tf.ones([1, x.shape[1], x.shape[2], 1]) as Tensor4D, pad), size, stride, "valid");
  return tf.div(sums, counts);
}

/**
 * Whether `stores` (a feature stack, or every stack of a cell network) run
 * without their pruned channels (pruned-maps.ts): when every conv keeps at
 * least one output channel. The one rule for feature stacks and cells;
 * `options`, how the pass runs, is where a rule on it belongs.
 */
export function skipsPrunedChannels(stores: readonly FeatureStore[], options: FeatureOptions): boolean {
  // Dense weight gradients need every channel computed (a pruned channel's weights get a gradient too), and so do learned masks.
  if (options.denseWeightGradient === true || (options.learned?.size ?? 0) > 0) return false;
  return stores.every((store) => store.kind !== "conv" || liveChannels(store).length > 0);
}

function layerStep(maps: PrunedMaps, store: FeatureStore, first: boolean, options: FeatureOptions): PrunedMaps {
  if (store.kind === "window") return prunedPool(maps, (m) => pool(m, store), store);
  // A relu after a conv runs inside its product; the constants are activated apart (valuesDone).
  const relu = store.kind === "conv" && store.layer.activate && options.activation === "relu";
  const next = store.kind === "conv" ? prunedConv(maps, store, convGeometry(store), liveChannels(store), !first, relu) : prunedNorm(maps, store, options.training);
  return store.layer.activate ? prunedActivation(next, options.activation, store, relu) : next;
}

/** Whether `conv` and the layer after it run as one convolution with the norm folded in (norm-fold.ts): an inference norm right after a conv that does not activate. */
function foldsNorm(conv: ConvStore, following: FeatureStore | undefined, options: FeatureOptions): following is NormStore {
  return !conv.layer.activate && following?.kind === "batchNorm" && !options.training;
}

/** A conv and the inference norm after it (and the norm's activation) over pruned maps, as one convolution. */
function foldedStep(maps: PrunedMaps, conv: ConvStore, norm: NormStore, first: boolean, options: FeatureOptions): PrunedMaps {
  const liveOut = liveChannels(conv);
  const relu = norm.layer.activate && options.activation === "relu";
  const values = foldedConvNorm(maps, conv, norm, convGeometry(conv), liveOut, { inputNeedsGradient: !first, relu });
  const convOut = { values, live: liveOut, ...biasConstants(conv, liveOut) };
  const next = { ...convOut, constants: normedConstants(convOut, norm) };
  return norm.layer.activate ? prunedActivation(next, options.activation, norm, relu) : next;
}

function convStep(maps: Tensor4D, store: ConvStore, first: boolean, options: FeatureOptions): Tensor4D {
  const learned = options.learned?.get(store.layer.name);
  return maskedConv2d(maps, store.weight, effectiveMask(store.mask, learned), store.bias, convGeometry(store), {
    inputNeedsGradient: !first,
    denseWeightGradient: options.denseWeightGradient === true,
    maskNeedsGradient: learned !== undefined,
  });
}

/** The feature layers over full maps: a conv with no live channel at all is its bias alone, from its masked weights. */
function fullStep(maps: Tensor4D, store: FeatureStore, first: boolean, options: FeatureOptions): Tensor4D {
  if (store.kind === "window") return pool(maps, store);
  const next = store.kind === "conv" ? convStep(maps, store, first, options) : batchNorm(maps, store, options.training);
  return store.layer.activate ? activate(options.activation, next) : next;
}

/** The layers of `stores` over pruned maps, computing only live channels. `readsData`: as for featureMaps. */
export function prunedFeatureMaps(stores: readonly FeatureStore[], maps: PrunedMaps, options: FeatureOptions, readsData: boolean): PrunedMaps {
  let next = maps;
  for (let i = 0; i < stores.length; i++) {
    const [store, following] = [stores[i]!, stores[i + 1]];
    const first = readsData && i === 0;
    if (store.kind === "conv" && foldsNorm(store, following, options)) {
      next = foldedStep(next, store, following, first, options);
      i++; // the norm ran inside the conv
    } else next = layerStep(next, store, first, options);
  }
  return next;
}

/** A batch of flattened channels-first samples of `inputShape` as NHWC maps. */
export function channelsLastMaps(x: Tensor2D, inputShape: readonly number[]): Tensor4D {
  return tf.transpose(tf.reshape(x, [x.shape[0], inputShape[0]!, inputShape[1]!, inputShape[2]!]), [0, 2, 3, 1]) as Tensor4D;
}

/**
 * The layers of `stores` over NHWC maps, each channel computed (no pruned-channel
 * shortcut). `readsData`: the maps are the network's input, so the first conv
 * needs no gradient for them.
 */
export function featureMaps(stores: readonly FeatureStore[], maps: Tensor4D, options: FeatureOptions, readsData: boolean): Tensor4D {
  let next = maps;
  stores.forEach((store, i) => (next = fullStep(next, store, readsData && i === 0, options)));
  return next;
}

/**
 * The flattened features [batch, channels · height · width] of `x`, a batch
 * of flattened channels-first samples of `inputShape`. Runs inside the
 * caller's `tf.tidy`.
 */
export function featureForward(stores: readonly FeatureStore[], x: Tensor2D, inputShape: readonly number[], options: FeatureOptions): Tensor2D {
  const batch = x.shape[0];
  const input = channelsLastMaps(x, inputShape);
  if (skipsPrunedChannels(stores, options)) return flattenChannelsFirst(prunedFeatureMaps(stores, fullMaps(input), options, true), stores[stores.length - 1]!);
  const maps = featureMaps(stores, input, options, true);
  const [, height, width, channels] = maps.shape;
  return tf.reshape(tf.transpose(maps, [0, 3, 1, 2]), [batch, channels * height * width]);
}
