/**
 * What training takes and gives back: data, options, callbacks, logs. Apart
 * from fit.ts so that the Model type can name them without importing the
 * training loop, which takes a Model.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";
import type { GrowthHooksState } from "../growing/dynamic-sparse.js";
import type { PruningHooksState } from "../pruning/schedule.js";
import type { PrunableWeight } from "../pruning/weights.js";
import type { RandomState } from "../random.js";
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
  /**
   * A fraction in (0, 1) of the training data held out as validation data
   * instead of `validationData` (give one or the other): as Keras does,
   * training keeps the first ⌊n · (1 − fraction)⌋ samples and the rest, the
   * last ones, are held out, before any shuffling.
   */
  readonly validationSplit?: number;
  /**
   * The learning rate per step: a number (constant), or a schedule. Default:
   * the optimizer's own rate, constant. A schedule's `initial` defaults to the
   * optimizer's rate too. The optimizer is left at the last step's rate.
   */
  readonly learningRate?: number | LearningRateSchedule;
  /**
   * Decoupled weight decay λ (AdamW, Loshchilov & Hutter): every step also
   * moves each connection's weight by −lr_t · λ · w, lr_t the step's learning
   * rate, w the weight before the step's update, outside the gradient (no
   * optimizer statistics, no clipping). Applies to the `.weight` parameters'
   * live connections only: not to biases, layer-norm gains and shifts, or
   * mask logits, and a masked weight keeps its stored value. Default 0.
   */
  readonly weightDecay?: number;
  /**
   * L2 regularisation λ, Keras's convention: λ · Σ w² over the live
   * connections' weights (the `.weight` parameters; not biases, gains,
   * shifts or mask logits) is added to the loss, so its gradient 2λw goes
   * through the optimizer and clipping. The reported training loss includes
   * it; validation losses do not. Default 0.
   */
  readonly l2?: number;
  /**
   * Rescales all gradients together when their global L2 norm (over every
   * trainable variable) exceeds this: g ← g · clipNorm / ‖g‖. Applied before
   * `clipValue`, as Keras does.
   */
  readonly clipNorm?: number;
  /** Clips every gradient entry to [−clipValue, clipValue]. */
  readonly clipValue?: number;
  /** Stop when the held-out metric stops improving (needs validation data). */
  readonly earlyStopping?: EarlyStoppingOptions;
  /**
   * Called after every completed epoch (after the `onEpochEnd` callbacks,
   * awaited) with everything needed to continue the run exactly from there:
   * pass it back as `resume` (saveTrainingState and loadTrainingState from
   * `@deepstruct/runtime/files` keep it in files). Not called for an epoch a
   * callback stopped halfway or that ended in a non-finite loss.
   */
  readonly checkpoint?: (state: TrainingState) => void | Promise<void>;
  /**
   * Continue a run from a checkpoint: the model must hold the weights and
   * masks it had then (e.g. loadModel of the folder saved with it) and the
   * data, batchSize, seed and shuffle must be the run's. `epochs` still counts
   * the whole run: resuming a 5-epoch run after epoch 3 trains epochs 4 and 5.
   * The returned History holds the earlier epochs too.
   */
  readonly resume?: TrainingState;
  /** Shuffle the samples every epoch (default true), in an order drawn from `seed`. */
  readonly shuffle?: boolean;
  readonly seed?: number;
  readonly callbacks?: TrainingCallbacks | readonly TrainingCallbacks[];
  /** Pruning schedules to carry out (default: those of the model's spec, from its .ds file). */
  readonly pruning?: readonly PruningSchedule[];
  /** Dynamic sparse training to carry out (default: the model's spec's); `null` for none. */
  readonly growth?: DynamicSparsity | null;
}

/** Linear warm-up at the start of a schedule: over `warmupEpochs` epochs or `warmupSteps` steps (give at most one), step t (from 0) runs at rate · (t + 1) / W. */
export interface Warmup {
  readonly warmupEpochs?: number;
  readonly warmupSteps?: number;
}

/**
 * A learning rate per step. `initial` (default: the optimizer's rate) is the
 * rate after warm-up; then
 * - `constant`: `initial` throughout;
 * - `step`: `initial · factor^⌊e / every⌋` in (0-based) epoch e;
 * - `cosine`: from `initial` down to `minimum` (default 0) over the steps
 *   after warm-up: minimum + (initial − minimum) · (1 + cos(π p)) / 2, p the
 *   share of those steps already taken.
 */
export type LearningRateSchedule =
  | ({ readonly kind: "constant"; readonly initial?: number } & Warmup)
  | ({ readonly kind: "step"; readonly initial?: number; readonly every: number; readonly factor: number } & Warmup)
  | ({ readonly kind: "cosine"; readonly initial?: number; readonly minimum?: number } & Warmup);

export type EarlyStoppingMonitor = "valLoss" | "valAccuracy";

/**
 * Keras's EarlyStopping: an epoch improves when its `monitor` beats the best
 * so far by more than `minDelta` (lower for `valLoss`, higher for
 * `valAccuracy`); training stops after `patience` epochs in a row without
 * improvement.
 */
export interface EarlyStoppingOptions {
  /** Default `"valLoss"`; `"valAccuracy"` needs the cross-entropy loss. */
  readonly monitor?: EarlyStoppingMonitor;
  /** Epochs without improvement to wait before stopping (default 0: stop at the first). */
  readonly patience?: number;
  /** Default 0. */
  readonly minDelta?: number;
  /** When it stops, put back the parameters and masks of the best epoch (default false). */
  readonly restoreBest?: boolean;
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
  /** The learning rate of the epoch's last step. */
  readonly learningRate: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  readonly seconds: number;
  /** Live entries of every prunable weight (dense blocks, convs, recurrent weights), after the epoch's pruning and growth. */
  readonly liveConnections: number;
  /** The same split by kind of weight, for the kinds the model has (absent from histories written before it was kept). */
  readonly liveByKind?: Partial<Record<PrunableWeight["kind"], number>>;
  /** Entries of every prunable weight's mask. */
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
  /** Every epoch of the run, those before a `resume` included. */
  readonly epochs: readonly EpochLogs[];
  /** Whether training ended before the last epoch: see `stopReason`. */
  readonly stopped: boolean;
  /** `"callback"`: a callback called `control.stop()`; `"earlyStopping"`: the monitored metric stopped improving. */
  readonly stopReason?: "callback" | "earlyStopping";
  /** With early stopping: the best epoch and its value, and whether its parameters were put back. */
  readonly earlyStopping?: { readonly monitor: EarlyStoppingMonitor; readonly bestEpoch: number; readonly best: number; readonly restored: boolean };
  /** The epochs a `resume` started after. */
  readonly resumedAfter?: number;
}

/** A float32 array of a given shape, by name: a parameter's values or an optimizer slot. */
export interface SavedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** A model's trainable values and masks at one moment. */
export interface ModelSnapshot {
  /** In `model.parameters` order. */
  readonly parameters: readonly SavedArray[];
  /** Each block's mask, encoded as `encodeMask` does. */
  readonly masks: readonly { readonly block: string; readonly mask: string }[];
}

/**
 * The optimizer's state: tfjs's `getWeights()` (the slots, in its order) and
 * what tfjs's `setWeights()` would recompute rather than restore (Adam's
 * running powers of β₁ and β₂, recomputed by `pow`, which need not give the
 * product's bits).
 */
export interface OptimizerState {
  /** tfjs's class name: `"Adam"`, `"Momentum"`, `"SGD"`, … */
  readonly className: string;
  readonly iterations: number;
  readonly learningRate: number;
  readonly slots: readonly SavedArray[];
  readonly accumulators?: { readonly beta1Power: number; readonly beta2Power: number };
}

export interface EarlyStoppingState {
  /** The best value so far (null before the first epoch). */
  readonly best: number | null;
  readonly bestEpoch: number;
  /** Epochs since the best. */
  readonly wait: number;
  /** With `restoreBest`: the best epoch's parameters and masks. */
  readonly bestSnapshot?: ModelSnapshot;
}

/**
 * Everything `fit` needs to continue an interrupted run exactly: made after a
 * completed epoch and handed to `FitOptions.checkpoint`. Plain data and
 * Float32Arrays (saveTrainingState writes the arrays to a binary file).
 */
export interface TrainingState {
  readonly format: "deepstruct-training-state";
  readonly version: 1;
  /** The model's name. */
  readonly model: string;
  readonly epochsCompleted: number;
  /**
   * The SHA-256 of the model's parameters and masks at the checkpoint, as
   * exportWeights computes it: the `weightsSha256` that saveWeights writes
   * into model.json at that moment. `resume` refuses a model whose weights
   * differ, and a folder whose model.json has another checksum holds weights
   * from another epoch than its state.
   */
  readonly weightsSha256: string;
  /** Optimizer steps taken by `fit` over the run (the learning-rate schedule's position). */
  readonly step: number;
  /** What the run must keep for the data order to continue: checked on `resume`. */
  readonly run: { readonly epochs: number; readonly samples: number; readonly batchSize: number; readonly seed: number; readonly shuffle: boolean; readonly loss: LossName };
  /** The batch-order random source after the last completed epoch's draw. */
  readonly batchOrder: RandomState;
  readonly optimizer: OptimizerState;
  /**
   * The static masks (0/1) beneath the model's learned masks, by the names
   * getMask takes (masks/static.ts). Weight files keep the mask computed with,
   * in which an entry the logits closed is 0; the resumed run puts these back,
   * so such an entry can open again as it could in the run that was saved.
   * Absent when no mask learns.
   */
  readonly staticMasks?: readonly SavedArray[];
  readonly pruning?: PruningHooksState;
  readonly growth?: GrowthHooksState;
  readonly earlyStopping?: EarlyStoppingState;
  /** Set when early stopping ended the run: a resume trains no further. */
  readonly stopReason?: "earlyStopping";
  readonly history: readonly EpochLogs[];
}

export interface TrainingControl {
  /** Ends training after the current batch's callbacks. */
  stop(): void;
}

/** Hooks into training; each may return a promise, which training awaits. */
export interface TrainingCallbacks {
  /** `resumedAfter`: the epochs a `resume` continues after (0 for a new run). */
  onTrainBegin?(info: { readonly epochs: number; readonly batchesPerEpoch: number; readonly samples: number; readonly resumedAfter: number }): void | Promise<void>;
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
