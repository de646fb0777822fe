/**
 * One optimizer step on a batch. `optimizer.minimize` hides the gradients,
 * so this is its two halves, `tf.variableGrads` and `applyGradients`, with
 * clipping and decoupled weight decay between them.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer, Scalar, Tensor, Tensor2D, Variable } from "@tensorflow/tfjs-core";
import type { Model } from "../model.js";

/** tfjs's NamedTensor (not exported from its index). */
type NamedTensor = Parameters<Optimizer["setWeights"]>[0][number];
import { lossAndCorrect, type LossName } from "./losses.js";
import type { TrainingData } from "./options.js";
import { clipGradients, decayWeights, l2Penalty, type LiveWeights } from "./regularization.js";
import { batchNormedConvBiases } from "../features/held-biases.js";

/** What a step does besides the loss's gradient. */
export interface StepSettings {
  readonly lossName: LossName;
  readonly l2: number;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  readonly clipValue: number | undefined;
  /** The connections' weights and masks, when a regulariser needs them. */
  readonly weights: LiveWeights | undefined;
}

/**
 * One gradient step at `learningRate` (already set on the optimizer); returns
 * the batch's loss and its number of correct predictions as tensors the
 * caller reads and disposes, so it can read them asynchronously: on webgpu a
 * synchronous read goes through canvases, which SwiftShader's WebGPU answers
 * with zeros and then loses the device.
 */
export function trainStepTensors(
  model: Model,
  optimizer: Optimizer,
  variables: Variable[],
  batch: TrainingData,
  settings: StepSettings,
  learningRate: number,
): [Scalar, Scalar | undefined] {
  const { lossName, l2, weightDecay, clipNorm, clipValue } = settings;
  const weights = settings.weights?.current() ?? [];
  let correct: Scalar | undefined;
  let gradients: (Tensor | undefined)[] = [];
  let cost: Scalar | undefined;
  try {
    const result = tf.variableGrads(() => {
      // Training mode: batch norms normalise by the batch and update their running statistics.
      const logits = model.predict(batch.x, { training: true }) as Tensor2D;
      // The loss and (cross-entropy) the correct predictions, from one kernel where it runs.
      const measured = lossAndCorrect(lossName, logits, batch.y);
      correct = measured.correct;
      const terms = [measured.loss, model.penalty(), l2 > 0 ? l2Penalty(weights, l2) : undefined].filter((t): t is Scalar => t !== undefined);
      return terms.length === 1 ? terms[0]! : (tf.addN(terms) as Scalar);
    }, variables);
    cost = result.value;
    gradients = holdBatchNormedBiases(
      model,
      variables,
      variables.map((v) => result.grads[v.name]),
    );
    if (clipNorm !== undefined || clipValue !== undefined) {
      const clipped = clipGradients(gradients, clipNorm, clipValue);
      tf.dispose(gradients.filter((g): g is Tensor => g !== undefined));
      gradients = clipped;
    }
    if (weightDecay > 0) decayWeights(weights, learningRate * weightDecay);
    // As minimize does: one entry per variable, a missing gradient as undefined (the optimizers skip it), so slot i stays variable i's.
    optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: gradients[i] })) as NamedTensor[]);
    const read: [Scalar, Scalar | undefined] = [cost, correct];
    [cost, correct] = [undefined, undefined];
    return read;
  } finally {
    tf.dispose([...gradients.filter((g): g is Tensor => g !== undefined), ...(cost ? [cost] : []), ...(correct ? [correct] : [])]);
    settings.weights?.release(weights);
  }
}

/** The gradients with those of convs' biases a batch norm follows (features/held-biases.ts) replaced by exact zeros. */
function holdBatchNormedBiases(model: Model, variables: readonly Variable[], gradients: (Tensor | undefined)[]): (Tensor | undefined)[] {
  const held = batchNormedConvBiases(model.spec);
  if (held.size === 0) return gradients;
  const heldVariables = new Set(model.parameters.filter((p) => held.has(p.name)).map((p) => p.variable));
  return gradients.map((g, i) => {
    if (g === undefined || !heldVariables.has(variables[i]!)) return g;
    const zero = tf.zerosLike(g);
    g.dispose();
    return zero;
  });
}

/** {@link trainStepTensors}, read synchronously: the batch's loss and number of correct predictions. */
export function trainStep(model: Model, optimizer: Optimizer, variables: Variable[], batch: TrainingData, settings: StepSettings, learningRate: number): [number, number] {
  const [cost, correct] = trainStepTensors(model, optimizer, variables, batch, settings, learningRate);
  try {
    return [cost.dataSync()[0] ?? Number.NaN, correct?.dataSync()[0] ?? 0];
  } finally {
    tf.dispose([cost, ...(correct ? [correct] : [])]);
  }
}
