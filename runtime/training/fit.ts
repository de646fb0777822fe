/**
 * Training and batched evaluation of a {@link Model}: mini-batch gradient
 * descent with a seeded batch order, per-epoch metrics and callbacks, and
 * what setup.ts makes of the options (schedules, regularisation, clipping,
 * early stopping, checkpoints and resuming).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import "../gradients.js";
import type { Model } from "../model.js";
import type { GrowthEvent } from "../growing/dynamic-sparse.js";
import type { PruningEvent } from "../pruning/schedule.js";
import { evaluatePrepared, evaluatePreparedAsync, identity, permutation, prepare } from "./data.js";
import type { LossName } from "./losses.js";
import type { EpochLogs, Evaluation, FitOptions, History, TrainingCallbacks, TrainingControl, TrainingData, TrainingState } from "./options.js";
import { currentLearningRate, setLearningRate } from "./schedules.js";
import { lossNameOf, positiveInteger, startRun, type Run } from "./setup.js";
import { saveOptimizer } from "./state.js";
import { trainStepTensors } from "./step.js";
import { exportWeights } from "../weights.js";
import { learningWeights, staticMasks } from "../masks/static.js";

export type { BatchLogs, EpochLogs, Evaluation, FitOptions, History, TrainingCallbacks, TrainingControl, TrainingData } from "./options.js";

export async function fit(model: Model, data: TrainingData, options: FitOptions): Promise<History> {
  const run = await startRun(model, data, options);
  const { epochs } = run.settings;
  const control: TrainingControl = { stop: () => void (run.stopReason ??= "callback") };
  try {
    if (run.resumedAfter === 0) run.pruning?.trainBegin();
    await each(run, (c) => c.onTrainBegin?.({ epochs, batchesPerEpoch: run.batches, samples: run.train.samples, resumedAfter: run.resumedAfter }));
    for (let epoch = run.history.length + 1; epoch <= epochs && run.stopReason === undefined; epoch++) {
      const totals = await trainEpoch(model, run, epoch, control);
      const logs = await finishEpoch(model, run, epoch, totals);
      // A callback may have stopped the epoch halfway: such an epoch neither counts for early stopping nor makes a checkpoint.
      if (totals.complete && run.stopper?.update(model, logs)) run.stopReason = "earlyStopping";
      await each(run, (c) => c.onEpochEnd?.(logs, control));
      if (totals.complete && run.checkpoint) await run.checkpoint(await trainingState(model, run, epoch));
    }
    const summary = run.stopper?.summary();
    const result: History = {
      epochs: run.history,
      stopped: run.stopReason !== undefined,
      ...(run.stopReason ? { stopReason: run.stopReason } : {}),
      ...(summary ? { earlyStopping: summary } : {}),
      ...(run.resumedAfter > 0 ? { resumedAfter: run.resumedAfter } : {}),
    };
    await each(run, (c) => c.onTrainEnd?.(result));
    return result;
  } finally {
    run.dispose();
  }
}

async function each(run: Run, call: (c: TrainingCallbacks) => void | Promise<void>): Promise<void> {
  for (const c of run.callbacks) await call(c);
}

/** What an epoch's steps add up to. */
interface EpochTotals {
  /** Whether every batch ran (no callback stopped the epoch halfway). */
  complete: boolean;
  loss: number;
  correct: number;
  seen: number;
  seconds: number;
  /** The last step's learning rate. */
  rate: number;
}

/** An epoch's steps, with the hooks and callbacks between them. */
async function trainEpoch(model: Model, run: Run, epoch: number, control: TrainingControl): Promise<EpochTotals> {
  const { train, batches, optimizer } = run;
  const { batchSize } = run.settings;
  run.pruning?.epochBegin(epoch);
  run.growth?.epochBegin(epoch);
  await each(run, (c) => c.onEpochBegin?.(epoch));
  const order = run.settings.shuffle ? permutation(train.samples, run.random) : identity(train.samples);
  const totals: EpochTotals = { complete: false, loss: 0, correct: 0, seen: 0, seconds: 0, rate: currentLearningRate(optimizer) ?? Number.NaN };
  let b = 0;
  for (; b < batches && run.stopReason === undefined; b++) {
    const start = performance.now();
    if (run.rates) setLearningRate(optimizer, run.rates(run.steps));
    totals.rate = currentLearningRate(optimizer) ?? Number.NaN;
    const indices = order.subarray(b * batchSize, Math.min(train.samples, (b + 1) * batchSize));
    const picked = tf.tensor1d(indices, "int32");
    const batch = { x: tf.gather(train.x, picked), y: tf.gather(train.y, picked) };
    let loss: number;
    try {
      const read = trainStepTensors(model, optimizer, run.variables, batch, run.step, totals.rate);
      let correct: number;
      try {
        // Read asynchronously: a synchronous read stalls GPU backends (and breaks SwiftShader's WebGPU, see step.ts).
        [loss, correct] = await Promise.all([read[0].data().then((v) => v[0] ?? Number.NaN), read[1] ? read[1].data().then((v) => v[0] ?? 0) : 0]);
      } finally {
        tf.dispose([read[0], ...(read[1] ? [read[1]] : [])]);
      }
      if (!Number.isFinite(loss)) throw new Error(nonFiniteLoss(model.name, loss, epoch, b + 1, batches));
      run.steps++;
      totals.seconds += (performance.now() - start) / 1000;
      totals.loss += loss * indices.length;
      totals.correct += correct;
      totals.seen += indices.length;
      run.pruning?.batchEnd();
      run.growth?.batchEnd(batch);
    } finally {
      tf.dispose([picked, batch.x, batch.y]);
    }
    await each(run, (c) => c.onBatchEnd?.({ epoch, batch: b + 1, batches, loss }, control));
  }
  totals.complete = b === batches;
  return totals;
}

/** The epoch's pruning, validation and logs (added to the history). */
async function finishEpoch(model: Model, run: Run, epoch: number, totals: EpochTotals): Promise<EpochLogs> {
  run.pruning?.epochEnd();
  const evaluation = run.validation && (await evaluatePreparedAsync(model, run.validation, run.settings.loss, 256));
  const counts = {
    loss: totals.loss / totals.seen,
    accuracy: totals.correct / totals.seen,
    learningRate: totals.rate,
    seconds: totals.seconds,
    pruningEvents: run.pruningEvents,
    growthEvents: run.growthEvents,
  };
  const logs = epochLogs(model, epoch, run.settings.loss, counts, evaluation);
  run.history.push(logs);
  return logs;
}

/** Everything a resumed run needs, after epoch `epoch` completed. */
async function trainingState(model: Model, run: Run, epoch: number): Promise<TrainingState> {
  return {
    format: "deepstruct-training-state",
    version: 1,
    model: model.name,
    epochsCompleted: epoch,
    weightsSha256: (await exportWeights(model)).modelJson.weightsSha256!,
    step: run.steps,
    run: run.settings,
    batchOrder: run.random.state(),
    optimizer: await saveOptimizer(
      run.where,
      run.optimizer,
      model.parameters.map((p) => p.name),
    ),
    ...(learningWeights(model).length > 0 ? { staticMasks: staticMasks(model) } : {}),
    ...(run.pruning ? { pruning: run.pruning.save() } : {}),
    ...(run.growth ? { growth: run.growth.save() } : {}),
    ...(run.stopper ? { earlyStopping: run.stopper.save() } : {}),
    ...(run.stopReason === "earlyStopping" ? { stopReason: "earlyStopping" as const } : {}),
    history: [...run.history],
  };
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
  const liveByKind = model.liveConnectionsByKind();
  const live = Object.values(liveByKind).reduce((sum, n) => sum + n, 0);
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
    liveByKind,
    totalConnections: total,
    sparsity: total === 0 ? 0 : 1 - live / total,
    pruned: counts.pruningEvents.filter((e) => e.epoch === epoch).reduce((n, e) => n + e.pruned, 0),
    dropped: growth.reduce((n, e) => n + e.dropped, 0),
    regrown: growth.reduce((n, e) => n + e.regrown, 0),
  };
}

export interface EvaluateOptions {
  readonly batchSize?: number;
  readonly loss?: LossName;
}

/** Mean loss (and accuracy for cross-entropy) over `data`, in batches of `batchSize` (default 256). */
export function evaluate(model: Model, data: TrainingData, options: EvaluateOptions = {}): Evaluation {
  const { prepared, lossName, batchSize } = evaluationInput(model, data, options, "evaluate");
  try {
    return evaluatePrepared(model, prepared, lossName, batchSize);
  } finally {
    prepared.dispose();
  }
}

/** {@link evaluate}, reading its result asynchronously (what GPU backends need, see step.ts). */
export async function evaluateAsync(model: Model, data: TrainingData, options: EvaluateOptions = {}): Promise<Evaluation> {
  const { prepared, lossName, batchSize } = evaluationInput(model, data, options, "evaluateAsync");
  try {
    return await evaluatePreparedAsync(model, prepared, lossName, batchSize);
  } finally {
    prepared.dispose();
  }
}

function evaluationInput(model: Model, data: TrainingData, options: EvaluateOptions, method: string) {
  const where = `${model.name}.${method}`;
  const lossName = lossNameOf(where, options.loss);
  const batchSize = positiveInteger(where, "batchSize", options.batchSize ?? 256);
  return { prepared: prepare(model, data, where, lossName), lossName, batchSize };
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
