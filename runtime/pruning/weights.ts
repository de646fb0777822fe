/**
 * Every weight pruning reaches, by the name getMask and setMask take: the
 * dense blocks (`dense1->dense2`), the convs of the feature stack, the cells
 * and the head (`conv1`, `cell3.conv1`, row-major HWIO), and each recurrent
 * layer's input and hidden weights (`lstm1.input`, `lstm1.hidden`,
 * row-major [rows, gates · hidden]). Each belongs to a layer: layer scope
 * ranks a layer's weights on their own (a dense layer's incoming blocks; a
 * conv; a recurrent layer's input and hidden weights together).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Variable } from "@tensorflow/tfjs-core";
import type { Model, PredictOptions } from "../model.js";
import type { TrainingData } from "../training/options.js";
import { loss as lossOf, type LossName } from "../training/losses.js";

export interface PrunableWeight {
  /** What getMask and setMask name. */
  readonly name: string;
  readonly kind: "dense" | "conv" | "recurrent";
  /** The layer whose incoming weights these are (layer scope ranks per layer). */
  readonly layer: string;
  /** Row-major shape of its mask: [source, target] for a block, HWIO for a conv, [rows, gates · hidden] for a recurrent weight. */
  readonly shape: readonly number[];
  readonly size: number;
  /** Neurons the weight feeds (a dense block's targets, a conv's output channels, a recurrent layer's hidden neurons): the last axis holds `gates` of them side by side. */
  readonly neurons: number;
}

export function prunableWeights(model: Model): PrunableWeight[] {
  const dense = model.blocks.map((b): PrunableWeight => ({
    name: b.name,
    kind: "dense",
    layer: b.target,
    shape: [b.sourceSize, b.targetSize],
    size: b.sourceSize * b.targetSize,
    neurons: b.targetSize,
  }));
  const convs = model.features.flatMap((f): PrunableWeight[] =>
    f.kind === "conv" && f.weightShape !== undefined
      ? [{ name: f.name, kind: "conv", layer: f.name, shape: f.weightShape, size: f.weightShape.reduce((a, b) => a * b, 1), neurons: f.weightShape[3] }]
      : [],
  );
  const recurrent = model.recurrent.flatMap((r) =>
    r.masks.map((m): PrunableWeight => ({ name: m.name, kind: "recurrent", layer: r.name, shape: m.shape, size: m.shape[0] * m.shape[1], neurons: r.hidden })),
  );
  return [...convs, ...recurrent, ...dense];
}

/** The trainable variable that holds a conv's or recurrent weight's values (dense blocks go through getWeights). */
export function weightVariable(model: Model, weight: PrunableWeight): Variable {
  const parameter = weight.kind === "conv" ? `${weight.name}.weight` : weight.name.replace(/\.(input|hidden)$/, (_, which: string) => `.${which}Weight`);
  const found = model.parameters.find((p) => p.name === parameter);
  if (found === undefined) throw new Error(`${model.name}: pruning found no parameter '${parameter}' for weight '${weight.name}'`);
  return found.variable;
}

/** A weight's stored values, row-major in its mask's shape. */
export function readWeights(model: Model, weight: PrunableWeight): Float32Array {
  return weight.kind === "dense" ? model.getWeights(weight.name) : Float32Array.from(weightVariable(model, weight).dataSync());
}

/** Stores `values` (row-major in the mask's shape) as the weight's values. */
export function writeWeights(model: Model, weight: PrunableWeight, values: Float32Array): void {
  if (weight.kind === "dense") return model.setWeights(weight.name, values);
  const variable = weightVariable(model, weight);
  tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, "float32")));
}

/** Live entries of a weight (1s of its mask). */
export function liveOf(model: Model, weight: PrunableWeight): number {
  if (weight.kind === "dense") return model.liveConnections(weight.name);
  let live = 0;
  for (const m of model.getMask(weight.name)) live += m;
  return live;
}

/**
 * The loss gradient of each weight in `weights` on one batch, row-major per
 * weight: dense blocks' through `denseWeightGradients` (pruned connections
 * included), convs' and recurrent weights' straight from their variables
 * (their kernels mask the gradient, so it is 0 at pruned entries, which
 * pruning never ranks). `options` as for predict: with `training`, batch
 * norms normalise by the batch and update their running statistics (see
 * keepingState).
 */
export function weightGradients(
  model: Model,
  batch: TrainingData,
  lossName: LossName,
  weights: readonly PrunableWeight[],
  options: PredictOptions = {},
): Map<string, Float32Array> {
  const result = new Map<string, Float32Array>();
  if (weights.some((w) => w.kind === "dense")) for (const [name, g] of model.denseWeightGradients(batch, lossName, options)) result.set(name, g);
  const others = weights.filter((w) => w.kind !== "dense");
  if (others.length === 0) return result;
  const variables = others.map((w) => weightVariable(model, w));
  const gradients = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => lossOf(lossName, model.predict(batch.x, options) as Tensor2D, batch.y), variables);
    return variables.map((v) => grads[v.name]!);
  });
  others.forEach((w, i) => result.set(w.name, Float32Array.from(gradients[i]!.dataSync())));
  tf.dispose(gradients);
  return result;
}

/**
 * Runs `f` and puts the model's state (the batch norms' running statistics)
 * back as it was, whatever happens: a saliency read in training mode must
 * not move the statistics the network is evaluated with.
 */
export function keepingState<T>(model: Model, f: () => T): T {
  const saved = model.state.map((s) => tf.clone(s.variable));
  try {
    return f();
  } finally {
    model.state.forEach((s, i) => s.variable.assign(saved[i]!));
    tf.dispose(saved);
  }
}
