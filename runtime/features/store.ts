/**
 * The parameters and state of a network's feature layers, stored once:
 * per conv its weight [kernel rows, kernel cols, in channels, out channels]
 * (HWIO, TensorFlow's layout — the canonical one in files), its 0/1 mask of
 * the same shape and its bias; per batch norm its gain and shift (trained)
 * and its running mean and variance (state, saved with the weights).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Variable } from "@tensorflow/tfjs-core";
import { initialWeights } from "../init.js";
import { decodeMask, FULL_MASK } from "../masks/codec.js";
import type { ActivationName, FeatureLayerSpec } from "../spec.js";
import { featureShapes, type ChannelsFirst } from "./shapes.js";
import { variableMaker } from "../storage/variables.js";
import { forget } from "./remembered.js";

export interface ConvStore {
  readonly kind: "conv";
  readonly layer: Extract<FeatureLayerSpec, { kind: "conv" }>;
  readonly input: ChannelsFirst;
  readonly output: ChannelsFirst;
  readonly weight: Variable<tf.Rank.R4>;
  /** The mask as float32 0/1, a non-trainable variable so setting it never reallocates what kernels read. */
  readonly mask: Variable<tf.Rank.R4>;
  readonly bias: Variable<tf.Rank.R1>;
  /** Output channels with at least one live weight, read off the mask when it last changed (undefined: not yet read). */
  liveChannels: readonly number[] | undefined;
}

export interface NormStore {
  readonly kind: "batchNorm";
  readonly layer: Extract<FeatureLayerSpec, { kind: "batchNorm" }>;
  readonly input: ChannelsFirst;
  readonly gain: Variable<tf.Rank.R1>;
  readonly shift: Variable<tf.Rank.R1>;
  readonly mean: Variable<tf.Rank.R1>;
  readonly variance: Variable<tf.Rank.R1>;
}

export interface WindowStore {
  readonly kind: "window";
  readonly layer: Exclude<FeatureLayerSpec, { kind: "conv" | "batchNorm" }>;
  readonly input: ChannelsFirst;
}

export type FeatureStore = ConvStore | NormStore | WindowStore;

/** Offsets conv kernels' initial draws past the dense kernels', so no two kernels share a stream. */
const FEATURE_KERNEL_BASE = 1 << 20;

/** A conv's initial weights: the dense kernels' rule over the [taps · in channels, out channels] matrix, fan-in from the mask. */
function initialConvWeights(seed: number, index: number, live: Uint8Array, rows: number, cols: number, activation: ActivationName): Float32Array {
  return initialWeights(seed, FEATURE_KERNEL_BASE + index, live, rows, cols, activation);
}

/**
 * Stores for every feature layer over an input of `inputShape` (channels
 * first). `firstIndex` numbers the first layer among all of the network's
 * feature layers (a cell network makes one stack per cell), so every conv
 * draws its initial weights from a stream of its own.
 */
export function createFeatureStores(layers: readonly FeatureLayerSpec[], inputShape: ChannelsFirst, activation: ActivationName, seed: number, firstIndex = 0): FeatureStore[] {
  const result = featureShapes(inputShape, layers);
  if (!("shapes" in result)) throw new Error(`feature layer '${layers[result.layer]!.name}': ${result.problem.message}`);
  const { shapes } = result;
  const { made, variable } = variableMaker();
  try {
    return layers.map((layer, i): FeatureStore => {
      const input = shapes[i]!;
      if (layer.kind === "batchNorm") {
        const c = input[0];
        const filled = (value: number): Float32Array => new Float32Array(c).fill(value);
        return {
          kind: "batchNorm",
          layer,
          input,
          gain: variable(filled(1), [c], true),
          shift: variable(filled(0), [c], true),
          mean: variable(filled(0), [c], false),
          variance: variable(filled(1), [c], false),
        };
      }
      if (layer.kind !== "conv") return { kind: "window", layer, input };
      const [kh, kw] = layer.kernel;
      const rows = kh * kw * input[0];
      const size = rows * layer.channels;
      const live = layer.mask === undefined || layer.mask === FULL_MASK ? new Uint8Array(size).fill(1) : decodeMask(layer.mask, size);
      const shape = [kh, kw, input[0], layer.channels];
      const weight = variable<tf.Rank.R4>(initialConvWeights(seed, firstIndex + i, live, rows, layer.channels, activation), shape, true);
      const mask = variable<tf.Rank.R4>(Float32Array.from(live), shape, false);
      return {
        kind: "conv",
        layer,
        input,
        output: shapes[i + 1]!,
        weight,
        mask,
        bias: variable(new Float32Array(layer.channels), [layer.channels], true),
        liveChannels: undefined,
      };
    });
  } catch (error) {
    tf.dispose(made);
    throw error;
  }
}

/** Trainable variables, named `${layer}.weight`, `.bias`, `.gain`, `.shift`. */
export function featureParameters(stores: readonly FeatureStore[]): { name: string; variable: Variable }[] {
  return stores.flatMap((s) => {
    if (s.kind === "conv") return [named(s.layer.name, "weight", s.weight), named(s.layer.name, "bias", s.bias)];
    if (s.kind === "batchNorm") return [named(s.layer.name, "gain", s.gain), named(s.layer.name, "shift", s.shift)];
    return [];
  });
}

/** State saved with the weights but never trained: batch norms' running statistics, `${layer}.runningMean`, `.runningVariance`. */
export function featureState(stores: readonly FeatureStore[]): { name: string; variable: Variable }[] {
  return stores.flatMap((s) => (s.kind === "batchNorm" ? [named(s.layer.name, "runningMean", s.mean), named(s.layer.name, "runningVariance", s.variance)] : []));
}

/** Conv masks, `${layer}.mask`, each in its weight's shape. */
export function featureMasks(stores: readonly FeatureStore[]): ConvStore[] {
  return stores.filter((s): s is ConvStore => s.kind === "conv");
}

function named(layer: string, what: string, variable: Variable): { name: string; variable: Variable } {
  return { name: `${layer}.${what}`, variable };
}

export function disposeFeatureStores(stores: readonly FeatureStore[]): void {
  for (const s of stores) {
    forget(s); // what the pruned forward remembered for it (features/remembered.ts)
    if (s.kind === "conv") tf.dispose([s.weight, s.mask, s.bias]);
    if (s.kind === "batchNorm") tf.dispose([s.gain, s.shift, s.mean, s.variance]);
  }
}
