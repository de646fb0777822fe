/**
 * Training and batched evaluation of a {@link Model}: mini-batch gradient
 * descent with a seeded batch order, per-epoch metrics and callbacks.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Scalar, Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import "../gradients.js";
import type { Model } from "../model.js";
import { createRandom, type Random } from "../random.js";
import { correctCount, loss as lossOf, LOSSES, type LossName } from "./losses.js";
import { createOptimizer } from "./optimizers.js";
import { dynamicSparseHooks, type GrowthEvent } from "../growing/dynamic-sparse.js";
import { pruningHooks, type PruningEvent } from "../pruning/schedule.js";
import type { EpochLogs, Evaluation, FitOptions, History, TrainingCallbacks, TrainingControl, TrainingData } from "./options.js";

export type { BatchLogs, EpochLogs, Evaluation, FitOptions, History, TrainingCallbacks, TrainingControl, TrainingData } from "./options.js";

export async function fit(model: Model, data: TrainingData, options: FitOptions): Promise<History> {
  const where = `${model.name}.fit`;
  const epochs = positiveInteger(where, "epochs", options.epochs);
  const batchSize = positiveInteger(where, "batchSize", options.batchSize ?? 32);
  const lossName = lossNameOf(where, options.loss);
  const train = prepare(model, data, `${where}: training data`, lossName);
  const validation = options.validationData && prepare(model, options.validationData, `${where}: validationData`, lossName);
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks as TrainingCallbacks];
  const given = options.optimizer;
  const ownOptimizer = !isOptimizer(given);
  const optimizer = isOptimizer(given) ? given : createOptimizer(given ?? "adam");
  // Pruning runs before the user's callbacks see a batch or an epoch, so their logs show its effect.
  const pruningEvents: PruningEvent[] = [];
  const schedules = options.pruning ?? model.spec.pruning ?? [];
  const pruning = schedules.length > 0 ? pruningHooks(model, schedules, pruningEvents) : undefined;
  const growthEvents: GrowthEvent[] = [];
  const growthConfig = options.growth === undefined ? model.spec.growth : (options.growth ?? undefined);
  const growth = growthConfig === undefined ? undefined : dynamicSparseHooks(model, growthConfig, growthEvents);
  const variables = model.parameters.map((p) => p.variable);
  const random = createRandom(options.seed ?? 0);
  const batches = Math.ceil(train.samples / batchSize);
  const history: EpochLogs[] = [];
  let stopped = false;
  const control: TrainingControl = { stop: () => void (stopped = true) };
  const each = async (call: (c: TrainingCallbacks) => void | Promise<void>): Promise<void> => {
    for (const c of callbacks) await call(c);
  };

  try {
    pruning?.trainBegin();
    await each((c) => c.onTrainBegin?.({ epochs, batchesPerEpoch: batches, samples: train.samples, resumedAfter: 0 }));
    for (let epoch = 1; epoch <= epochs && !stopped; epoch++) {
      pruning?.epochBegin(epoch);
      growth?.epochBegin(epoch);
      await each((c) => c.onEpochBegin?.(epoch));
      const order = options.shuffle === false ? identity(train.samples) : permutation(train.samples, random);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let seconds = 0;
      for (let b = 0; b < batches && !stopped; b++) {
        const start = performance.now();
        const indices = order.subarray(b * batchSize, Math.min(train.samples, (b + 1) * batchSize));
        const picked = tf.tensor1d(indices, "int32");
        const batch = { x: tf.gather(train.x, picked), y: tf.gather(train.y, picked) };
        const [batchLoss, batchCorrect] = step(model, optimizer, variables, batch, lossName);
        if (!Number.isFinite(batchLoss)) {
          tf.dispose([picked, batch.x, batch.y]);
          throw new Error(nonFiniteLoss(model.name, batchLoss, epoch, b + 1, batches));
        }
        seconds += (performance.now() - start) / 1000;
        lossSum += batchLoss * indices.length;
        correct += batchCorrect;
        seen += indices.length;
        const batchLogs = { epoch, batch: b + 1, batches, loss: batchLoss };
        pruning?.batchEnd();
        growth?.batchEnd(batch);
        tf.dispose([picked, batch.x, batch.y]);
        await each((c) => c.onBatchEnd?.(batchLogs, control));
      }
      pruning?.epochEnd();
      const evaluation = validation && evaluatePrepared(model, validation, lossName, 256);
      const counts = {
        loss: lossSum / seen,
        accuracy: correct / seen,
        learningRate: (optimizer as unknown as { learningRate: number }).learningRate,
        seconds,
        pruningEvents,
        growthEvents,
      };
      const logs = epochLogs(model, epoch, lossName, counts, evaluation);
      history.push(logs);
      await each((c) => c.onEpochEnd?.(logs, control));
    }
    const result: History = { epochs: history, stopped };
    await each((c) => c.onTrainEnd?.(result));
    return result;
  } finally {
    if (ownOptimizer) optimizer.dispose();
    train.dispose();
    validation?.dispose();
  }
}

/** Why training stopped at a loss that is not a number: where, and what usually causes it. */
function nonFiniteLoss(name: string, loss: number, epoch: number, step: number, steps: number): string {
  return `${name}.fit: the loss became ${loss} at epoch ${epoch}, step ${step} of ${steps}; training stopped (the weights have taken that step's update). Lower the learning rate, or look for non-finite values in the data`;
}

/** What an epoch's log says: its loss and accuracy, the validation's, and the connections pruning and growth changed. */
function epochLogs(
  model: Model,
  epoch: number,
  lossName: LossName,
  counts: { loss: number; accuracy: number; learningRate: number; seconds: number; pruningEvents: readonly PruningEvent[]; growthEvents: readonly GrowthEvent[] },
  evaluation: Evaluation | undefined,
): EpochLogs {
  const live = model.liveConnections();
  const total = model.totalConnections();
  const growth = counts.growthEvents.filter((e) => e.epoch === epoch);
  return {
    epoch,
    loss: counts.loss,
    ...(lossName === "crossEntropy" ? { accuracy: counts.accuracy } : {}),
    ...(evaluation ? { valLoss: evaluation.loss } : {}),
    ...(evaluation?.accuracy !== undefined ? { valAccuracy: evaluation.accuracy } : {}),
    learningRate: counts.learningRate,
    seconds: counts.seconds,
    liveConnections: live,
    totalConnections: total,
    sparsity: total === 0 ? 0 : 1 - live / total,
    pruned: counts.pruningEvents.filter((e) => e.epoch === epoch).reduce((n, e) => n + e.pruned, 0),
    dropped: growth.reduce((n, e) => n + e.dropped, 0),
    regrown: growth.reduce((n, e) => n + e.regrown, 0),
  };
}

/** Mean loss (and accuracy for cross-entropy) over `data`, in batches of `batchSize` (default 256). */
export function evaluate(model: Model, data: TrainingData, options: { readonly batchSize?: number; readonly loss?: LossName } = {}): Evaluation {
  const where = `${model.name}.evaluate`;
  const lossName = lossNameOf(where, options.loss);
  const prepared = prepare(model, data, where, lossName);
  try {
    return evaluatePrepared(model, prepared, lossName, positiveInteger(where, "batchSize", options.batchSize ?? 256));
  } finally {
    prepared.dispose();
  }
}

/** `predict` over `x` in batches of `batchSize` (default 256), so large inputs never make one huge intermediate. */
export function predictBatches(model: Model, x: Tensor, options: { readonly batchSize?: number } = {}): Tensor2D {
  const batchSize = positiveInteger(`${model.name}.predictBatches`, "batchSize", options.batchSize ?? 256);
  const samples = x.shape[0] ?? 0;
  return tf.tidy(() => {
    const parts: Tensor2D[] = [];
    for (let start = 0; start < samples; start += batchSize) {
      const size = Math.min(batchSize, samples - start);
      parts.push(model.predict(tf.slice(x, start, size)) as Tensor2D);
    }
    return parts.length === 1 ? parts[0]! : tf.concat2d(parts, 0);
  });
}

/** Training data checked against the model and flattened to `[n, inputSize]`, owned by the caller. */
interface Prepared {
  readonly x: Tensor2D;
  readonly y: Tensor;
  readonly samples: number;
  dispose(): void;
}

function prepare(model: Model, data: TrainingData, where: string, lossName: LossName): Prepared {
  if (data === null || typeof data !== "object" || !(data.x instanceof tf.Tensor) || !(data.y instanceof tf.Tensor)) {
    throw new Error(`${where}: expected { x, y } with two tensors`);
  }
  const { x, y } = data;
  const inputSize = model.inputShape.reduce((a, b) => a * b, 1);
  const outputSize = model.outputShape[0]!;
  const samples = x.shape[0] ?? 0;
  const full = x.rank === model.inputShape.length + 1 && model.inputShape.every((d, i) => x.shape[i + 1] === d);
  const flat = x.rank === 2 && x.shape[1] === inputSize;
  if (!full && !flat) {
    throw new Error(`${where}: x has shape [${x.shape.join(", ")}]; expected [n, ${model.inputShape.join(", ")}] or [n, ${inputSize}]`);
  }
  if (samples === 0) throw new Error(`${where}: there are no samples`);
  if (y.shape[0] !== samples) throw new Error(`${where}: x has ${samples} samples but y has ${y.shape[0] ?? 0}`);
  if (y.rank === 1) {
    if (lossName === "mse" && outputSize !== 1) {
      throw new Error(`${where}: mean squared error needs targets of shape [n, ${outputSize}], got class indices [n]`);
    }
    if (lossName === "crossEntropy") checkClasses(where, y, outputSize);
  } else if (y.rank !== 2 || y.shape[1] !== outputSize) {
    throw new Error(`${where}: y has shape [${y.shape.join(", ")}]; expected class indices [${samples}] or rows [${samples}, ${outputSize}]`);
  }
  const xs = tf.tidy(() => tf.reshape(tf.cast(x, "float32"), [samples, inputSize]) as Tensor2D);
  const ys = tf.tidy(() => (y.rank === 1 && lossName === "crossEntropy" ? tf.cast(y, "int32") : tf.reshape(tf.cast(y, "float32"), [samples, outputSize])));
  return { x: xs, y: ys, samples, dispose: () => tf.dispose([xs, ys]) };
}

function checkClasses(where: string, y: Tensor, outputSize: number): void {
  const values = y.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= outputSize) {
      throw new Error(`${where}: y[${i}] is ${v}, which is not a class of a network with ${outputSize} outputs (0 … ${outputSize - 1})`);
    }
  }
}

/** One gradient step on a batch; returns the batch's loss and its number of correct predictions. */
function step(model: Model, optimizer: tf.Optimizer, variables: tf.Variable[], batch: TrainingData, lossName: LossName): [number, number] {
  let correct: Scalar | undefined;
  const { x, y } = batch;
  const cost = optimizer.minimize(
    () => {
      const logits = model.predict(x) as Tensor2D;
      if (lossName === "crossEntropy") correct = tf.keep(correctCount(logits, y));
      const base = lossOf(lossName, logits, y);
      const penalty = model.penalty();
      return penalty === undefined ? base : tf.add(base, penalty);
    },
    true,
    variables,
  );
  const loss = cost?.dataSync()[0] ?? Number.NaN;
  const right = correct?.dataSync()[0] ?? 0;
  tf.dispose([...(cost ? [cost] : []), ...(correct ? [correct] : [])]);
  return [loss, right];
}

function evaluatePrepared(model: Model, data: Prepared, lossName: LossName, batchSize: number): Evaluation {
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.samples; start += batchSize) {
    const size = Math.min(batchSize, data.samples - start);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const logits = model.predict(tf.slice(data.x, start, size)) as Tensor2D;
      const y = tf.slice(data.y, start, size);
      const right = lossName === "crossEntropy" ? correctCount(logits, y).dataSync()[0]! : 0;
      return [lossOf(lossName, logits, y).dataSync()[0]!, right];
    });
    lossSum += batchLoss * size;
    correct += batchCorrect;
  }
  const loss = lossSum / data.samples;
  return lossName === "crossEntropy" ? { loss, accuracy: correct / data.samples, samples: data.samples } : { loss, samples: data.samples };
}

function permutation(n: number, random: Random): Int32Array {
  const order = identity(n);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** tfjs's `Optimizer[Symbol.hasInstance]` throws for undefined, so this checks the shape instead. */
function isOptimizer(value: unknown): value is tf.Optimizer {
  return typeof value === "object" && value !== null && typeof (value as { minimize?: unknown }).minimize === "function";
}

function positiveInteger(where: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${where}: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function lossNameOf(where: string, name: LossName | undefined): LossName {
  const chosen = name ?? "crossEntropy";
  if (!LOSSES.includes(chosen)) throw new Error(`${where}: unknown loss '${String(chosen)}'; expected ${LOSSES.map((l) => `"${l}"`).join(" or ")}`);
  return chosen;
}
