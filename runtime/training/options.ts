/**
 * What training takes and gives back: data, options, callbacks, logs. Apart
 * from fit.ts so that the Model type can name them without importing the
 * training loop, which takes a Model.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";
import type { DynamicSparsity, PruningSchedule } from "../spec.js";
import type { LossName } from "./losses.js";
import type { OptimizerConfig, OptimizerName } from "./optimizers.js";

/** Samples and their targets: `x` is `[n, ...inputShape]` or `[n, inputSize]`; `y` is class indices `[n]` or rows `[n, outputSize]`. */
export interface TrainingData {
  readonly x: Tensor;
  readonly y: Tensor;
}

export interface FitOptions {
  readonly epochs: number;
  /** Samples per gradient step (default 32); the last batch of an epoch may be smaller. */
  readonly batchSize?: number;
  /**
   * Default `"adam"` with learning rate 0.001; `"sgd"` is SGD with momentum 0.9
   * and learning rate 0.01. An optimizer instance (from `createOptimizer`) keeps
   * its state across `fit` calls and through `growNeurons`; the caller disposes it.
   */
  readonly optimizer?: OptimizerConfig | OptimizerName | tf.Optimizer;
  /** Default `"crossEntropy"` (softmax over the logits). */
  readonly loss?: LossName;
  /** Evaluated after every epoch. */
  readonly validationData?: TrainingData;
  /** Shuffle the samples every epoch (default true), in an order drawn from `seed`. */
  readonly shuffle?: boolean;
  readonly seed?: number;
  readonly callbacks?: TrainingCallbacks | readonly TrainingCallbacks[];
  /** Pruning schedules to carry out (default: those of the model's spec, from its .ds file). */
  readonly pruning?: readonly PruningSchedule[];
  /** Dynamic sparse training to carry out (default: the model's spec's); `null` for none. */
  readonly growth?: DynamicSparsity | null;
}

export interface BatchLogs {
  readonly epoch: number;
  /** 1-based within the epoch. */
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
}

export interface EpochLogs {
  /** 1-based. */
  readonly epoch: number;
  /** Mean training loss over the epoch's samples (as the weights were at each step). */
  readonly loss: number;
  /** Training accuracy over the epoch (cross-entropy only). */
  readonly accuracy?: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  readonly seconds: number;
  readonly liveConnections: number;
  readonly totalConnections: number;
  /** 1 − live / total, after the epoch's pruning. */
  readonly sparsity: number;
  /** Connections the pruning schedules removed during the epoch. */
  readonly pruned: number;
  /** Connections dynamic sparse training dropped, and regrew, during the epoch (equal counts). */
  readonly dropped: number;
  readonly regrown: number;
}

export interface History {
  readonly epochs: readonly EpochLogs[];
  /** Whether a callback stopped training before the last epoch. */
  readonly stopped: boolean;
}

export interface TrainingControl {
  /** Ends training after the current batch's callbacks. */
  stop(): void;
}

/** Hooks into training; each may return a promise, which training awaits. */
export interface TrainingCallbacks {
  onTrainBegin?(info: { readonly epochs: number; readonly batchesPerEpoch: number; readonly samples: number }): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs, control: TrainingControl): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs, control: TrainingControl): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
}

export interface Evaluation {
  readonly loss: number;
  /** For cross-entropy. */
  readonly accuracy?: number;
  readonly samples: number;
}
