/**
 * Everything `fit` decides before the first step: options checked (each
 * refusal names the option and what was expected), data prepared and split,
 * the optimizer, schedule, hooks and early stopping made, and a resumed
 * run's state put back.
 */
import type { Optimizer, Variable } from "@tensorflow/tfjs-core";
import { dynamicSparseHooks, type GrowthEvent, type GrowthHooks } from "../growing/dynamic-sparse.js";
import type { Model } from "../model.js";
import { pruningHooks, type PruningEvent, type PruningHooks } from "../pruning/schedule.js";
import { createRandom, restoreRandom, type Random } from "../random.js";
import { prepare, splitOff, type Prepared } from "./data.js";
import { earlyStopper, type EarlyStopper } from "./early-stopping.js";
import { LOSSES, type LossName } from "./losses.js";
import { createOptimizer, disposeOptimizer } from "./optimizers.js";
import type { EpochLogs, FitOptions, SavedArray, TrainingCallbacks, TrainingData, TrainingState } from "./options.js";
import { liveWeights } from "./regularization.js";
import { currentLearningRate, learningRates, type LearningRates } from "./schedules.js";
import { checkResume, restoreOptimizer, type RunSettings } from "./state.js";
import type { StepSettings } from "./step.js";
import { exportWeights } from "../weights.js";
import { learningWeights } from "../masks/static.js";

/** A run of `fit`, ready for its first (or next) epoch. */
export interface Run {
  readonly where: string;
  readonly settings: RunSettings;
  readonly batches: number;
  readonly train: Prepared;
  readonly validation: Prepared | undefined;
  readonly callbacks: readonly TrainingCallbacks[];
  readonly optimizer: Optimizer;
  readonly variables: Variable[];
  readonly step: StepSettings;
  /** The rate of each step, or undefined to leave the optimizer's own. */
  readonly rates: LearningRates | undefined;
  readonly pruning: PruningHooks | undefined;
  readonly pruningEvents: PruningEvent[];
  readonly growth: GrowthHooks | undefined;
  readonly growthEvents: GrowthEvent[];
  readonly stopper: EarlyStopper | undefined;
  readonly checkpoint: FitOptions["checkpoint"];
  /** Mutable progress: the batch-order source, optimizer steps taken, epochs so far, why training stopped. */
  random: Random;
  steps: number;
  history: EpochLogs[];
  stopReason: "callback" | "earlyStopping" | undefined;
  readonly resumedAfter: number;
  dispose(): void;
}

export async function startRun(model: Model, data: TrainingData, options: FitOptions): Promise<Run> {
  const where = `${model.name}.fit`;
  if (options === null || typeof options !== "object") throw new Error(`${where}: expected options { epochs, … }, got ${String(options)}`);
  const epochs = positiveInteger(where, "epochs", options.epochs);
  const batchSize = positiveInteger(where, "batchSize", options.batchSize ?? 32);
  const lossName = lossNameOf(where, options.loss);
  const numbers = checkNumbers(where, options);
  const made: { dispose(): void }[] = [];
  try {
    let train = prepare(model, data, `${where}: training data`, lossName);
    made.push(train);
    let validation: Prepared | undefined;
    if (numbers.validationSplit !== undefined) {
      ({ train, validation } = splitOff(train, numbers.validationSplit, where));
      made.splice(0, 1, train, validation);
    } else if (options.validationData !== undefined) {
      validation = prepare(model, options.validationData, `${where}: validationData`, lossName);
      made.push(validation);
    }
    const given = options.optimizer;
    const optimizer = isOptimizer(given) ? given : createOptimizer(given ?? "adam");
    if (!isOptimizer(given)) made.push({ dispose: () => disposeOptimizer(optimizer) });
    const settings: RunSettings = { epochs, samples: train.samples, batchSize, seed: options.seed ?? 0, shuffle: options.shuffle !== false, loss: lossName };
    const batches = Math.ceil(train.samples / batchSize);
    const base = currentLearningRate(optimizer);
    if (base === undefined && (options.learningRate !== undefined || numbers.weightDecay > 0)) {
      throw new Error(`${where}: the optimizer ${optimizer.getClassName()} has no learningRate field, which learningRate and weightDecay need`);
    }
    const rates = options.learningRate === undefined ? undefined : learningRates(where, options.learningRate, base!, { epochs, batchesPerEpoch: batches });
    const stopper = options.earlyStopping === undefined ? undefined : earlyStopper(where, options.earlyStopping, validation !== undefined, lossName);
    const run = makeRun(model, options, { where, settings, batches, train, validation, optimizer, rates, stopper, numbers, lossName });
    run.dispose = () => made.forEach((m) => m.dispose());
    if (options.resume !== undefined) await resume(model, run, options.resume);
    return run;
  } catch (error) {
    made.forEach((m) => m.dispose());
    throw error;
  }
}

interface Parts {
  readonly where: string;
  readonly settings: RunSettings;
  readonly batches: number;
  readonly train: Prepared;
  readonly validation: Prepared | undefined;
  readonly optimizer: Optimizer;
  readonly rates: LearningRates | undefined;
  readonly stopper: EarlyStopper | undefined;
  readonly numbers: Numbers;
  readonly lossName: LossName;
}

function makeRun(model: Model, options: FitOptions, parts: Parts): Run {
  const { where, numbers } = parts;
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks as TrainingCallbacks];
  if (options.checkpoint !== undefined && typeof options.checkpoint !== "function")
    throw new Error(`${where}: checkpoint must be a function (state) => void, got ${typeof options.checkpoint}`);
  // Pruning runs before the user's callbacks see a batch or an epoch, so their logs show its effect.
  const pruningEvents: PruningEvent[] = [];
  const schedules = options.pruning ?? model.spec.pruning ?? [];
  const growthEvents: GrowthEvent[] = [];
  const growthConfig = options.growth === undefined ? model.spec.growth : (options.growth ?? undefined);
  const regularized = numbers.l2 > 0 || numbers.weightDecay > 0;
  return {
    ...parts,
    callbacks,
    variables: model.parameters.map((p) => p.variable),
    step: {
      lossName: parts.lossName,
      l2: numbers.l2,
      weightDecay: numbers.weightDecay,
      clipNorm: numbers.clipNorm,
      clipValue: numbers.clipValue,
      weights: regularized ? liveWeights(model) : undefined,
    },
    pruning: schedules.length > 0 ? pruningHooks(model, schedules, pruningEvents) : undefined,
    pruningEvents,
    growth: growthConfig === undefined ? undefined : dynamicSparseHooks(model, growthConfig, growthEvents, parts.lossName),
    growthEvents,
    checkpoint: options.checkpoint,
    random: createRandom(parts.settings.seed),
    steps: 0,
    history: [],
    stopReason: undefined,
    resumedAfter: options.resume?.epochsCompleted ?? 0,
    dispose: () => undefined,
  };
}

/** The static masks beneath learned ones, as the state saved them (the model's weight file holds the combined masks). */
function restoreStaticMasks(where: string, model: Model, saved: readonly SavedArray[]): void {
  const learning = new Map(learningWeights(model).map((w) => [w.name, w.shape]));
  for (const { name, shape, values } of saved) {
    const expected = learning.get(name);
    if (expected === undefined || expected.join() !== shape.join() || !(values instanceof Float32Array)) {
      throw new Error(`${where}: resume: the state has a static mask for '${String(name)}' [${String(shape)}], which is no learned mask of this model of that shape`);
    }
    model.setMask(name, values);
  }
}

/** Puts a saved state back into a fresh run. */
async function resume(model: Model, run: Run, state: TrainingState): Promise<void> {
  const { where } = run;
  checkResume(where, model.name, state, run.settings);
  const weights = (await exportWeights(model)).modelJson.weightsSha256;
  if (weights !== state.weightsSha256) {
    throw new Error(
      `${where}: resume: the model's weights and masks (SHA-256 ${weights}) are not those the state was saved with after epoch ${state.epochsCompleted} (${String(state.weightsSha256)}); load the weights saved with this checkpoint`,
    );
  }
  const part = (name: string, has: boolean, saved: unknown): boolean => {
    if (has !== (saved !== undefined)) throw new Error(`${where}: resume: this run ${has ? "has" : "has no"} ${name}, but the saved one ${has ? "had none" : "had"}`);
    return has;
  };
  await restoreOptimizer(where, run.optimizer, state.optimizer, run.variables);
  restoreStaticMasks(where, model, state.staticMasks ?? []);
  if (part("pruning schedule", run.pruning !== undefined, state.pruning)) run.pruning!.restore(state.pruning!);
  if (part("dynamic sparse training", run.growth !== undefined, state.growth)) run.growth!.restore(state.growth!);
  if (part("early stopping", run.stopper !== undefined, state.earlyStopping)) run.stopper!.restore(state.earlyStopping!);
  run.random = restoreRandom(state.batchOrder);
  run.steps = state.step;
  run.history = [...state.history];
  run.stopReason = state.stopReason;
}

interface Numbers {
  readonly weightDecay: number;
  readonly l2: number;
  readonly clipNorm: number | undefined;
  readonly clipValue: number | undefined;
  readonly validationSplit: number | undefined;
}

function checkNumbers(where: string, options: FitOptions): Numbers {
  const check = (name: keyof FitOptions, value: unknown, ok: (v: number) => boolean, expected: string): void => {
    if (value !== undefined && !(typeof value === "number" && ok(value))) throw new Error(`${where}: ${name} must be ${expected}, got ${String(value)}`);
  };
  check("weightDecay", options.weightDecay, (v) => v >= 0 && Number.isFinite(v), "a non-negative number");
  check("l2", options.l2, (v) => v >= 0 && Number.isFinite(v), "a non-negative number");
  check("clipNorm", options.clipNorm, (v) => v > 0 && Number.isFinite(v), "a positive number");
  check("clipValue", options.clipValue, (v) => v > 0 && Number.isFinite(v), "a positive number");
  check("validationSplit", options.validationSplit, (v) => v > 0 && v < 1, "a fraction strictly between 0 and 1");
  if (options.validationSplit !== undefined && options.validationData !== undefined) throw new Error(`${where}: give validationData or validationSplit, not both`);
  if (options.resume !== undefined && (options.resume === null || typeof options.resume !== "object"))
    throw new Error(`${where}: resume must be a TrainingState, got ${String(options.resume)}`);
  return { weightDecay: options.weightDecay ?? 0, l2: options.l2 ?? 0, clipNorm: options.clipNorm, clipValue: options.clipValue, validationSplit: options.validationSplit };
}

/** tfjs's `Optimizer[Symbol.hasInstance]` throws for undefined, so this checks the shape instead. */
function isOptimizer(value: unknown): value is Optimizer {
  return typeof value === "object" && value !== null && typeof (value as { minimize?: unknown }).minimize === "function";
}

export function positiveInteger(where: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${where}: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export function lossNameOf(where: string, name: LossName | undefined): LossName {
  const chosen = name ?? "crossEntropy";
  if (!LOSSES.includes(chosen)) throw new Error(`${where}: unknown loss '${String(chosen)}'; expected ${LOSSES.map((l) => `"${l}"`).join(" or ")}`);
  return chosen;
}
