/**
 * Learning-rate schedules: the rate of every optimizer step, and setting it
 * on a tfjs optimizer between steps.
 *
 * tfjs's optimizers read their rate in two ways (tfjs-core 4.22):
 * `SGDOptimizer` (and `MomentumOptimizer`, its subclass) multiply by a kept
 * scalar `c = −learningRate` that only `setLearningRate` remakes (it
 * disposes the old one), while `AdamOptimizer` and the others read the
 * `learningRate` field at every `applyGradients`. So a rate is set through
 * `setLearningRate` where there is one, else by the field.
 */
import type { Optimizer } from "@tensorflow/tfjs-core";
import type { LearningRateSchedule } from "./options.js";

/** The rate of step t (0-based, counted over the whole run). */
export type LearningRates = (step: number) => number;

/** Where the schedule runs: the run's shape in steps. */
export interface RunShape {
  readonly epochs: number;
  readonly batchesPerEpoch: number;
}

/**
 * The rate of each step for the `learningRate` option (`base`: the
 * optimizer's own rate, for a schedule without `initial`).
 * @throws Error naming the field for a value out of range.
 */
export function learningRates(where: string, option: number | LearningRateSchedule, base: number, run: RunShape): LearningRates {
  if (typeof option === "number") {
    positive(where, "learningRate", option);
    return () => option;
  }
  if (option === null || typeof option !== "object")
    throw new Error(`${where}: learningRate must be a positive number or a schedule { kind: "constant" | "step" | "cosine", … }, got ${String(option)}`);
  const field = (name: string): string => `learningRate.${name}`;
  const initial = option.initial ?? base;
  positive(where, field("initial"), initial);
  const warmup = warmupSteps(where, option, run.batchesPerEpoch);
  const total = run.epochs * run.batchesPerEpoch;
  let after: LearningRates;
  switch (option.kind) {
    case "constant":
      after = () => initial;
      break;
    case "step": {
      const { every, factor } = option;
      if (!(Number.isInteger(every) && every >= 1)) throw new Error(`${where}: ${field("every")} must be a positive integer (epochs), got ${String(every)}`);
      if (!(typeof factor === "number" && factor > 0 && Number.isFinite(factor))) throw new Error(`${where}: ${field("factor")} must be a positive number, got ${String(factor)}`);
      after = (t) => initial * Math.pow(factor, Math.floor(Math.floor(t / run.batchesPerEpoch) / every));
      break;
    }
    case "cosine": {
      const minimum = option.minimum ?? 0;
      if (!(typeof minimum === "number" && minimum >= 0 && minimum <= initial))
        throw new Error(`${where}: ${field("minimum")} must be a number in [0, initial = ${initial}], got ${String(minimum)}`);
      const span = Math.max(1, total - warmup);
      after = (t) => minimum + ((initial - minimum) * (1 + Math.cos((Math.PI * Math.min(t - warmup, span)) / span))) / 2;
      break;
    }
    default:
      throw new Error(`${where}: ${field("kind")} must be "constant", "step" or "cosine", got ${JSON.stringify((option as { kind?: unknown }).kind)}`);
  }
  return (t) => (t < warmup ? (initial * (t + 1)) / warmup : after(t));
}

/** The warm-up's length in steps (0 for none). */
function warmupSteps(where: string, option: LearningRateSchedule, batchesPerEpoch: number): number {
  const { warmupEpochs, warmupSteps: steps } = option;
  if (warmupEpochs !== undefined && steps !== undefined) throw new Error(`${where}: give learningRate.warmupEpochs or learningRate.warmupSteps, not both`);
  for (const [name, value] of [
    ["warmupEpochs", warmupEpochs],
    ["warmupSteps", steps],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new Error(`${where}: learningRate.${name} must be a non-negative integer, got ${String(value)}`);
  }
  return steps ?? (warmupEpochs ?? 0) * batchesPerEpoch;
}

function positive(where: string, name: string, value: unknown): void {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) throw new Error(`${where}: ${name} must be a positive number, got ${String(value)}`);
}

/** What tfjs's optimizers hold of their rate (protected in its types, public at run time). */
interface RateHolder {
  learningRate?: unknown;
  setLearningRate?: (rate: number) => void;
}

/** The optimizer's current learning rate, or undefined for an optimizer that has none tfjs's way. */
export function currentLearningRate(optimizer: Optimizer): number | undefined {
  const rate = (optimizer as unknown as RateHolder).learningRate;
  return typeof rate === "number" ? rate : undefined;
}

/** Sets the rate the next `applyGradients` uses (nothing changes if it is already that). */
export function setLearningRate(optimizer: Optimizer, rate: number): void {
  const holder = optimizer as unknown as RateHolder;
  if (holder.learningRate === rate) return;
  if (typeof holder.setLearningRate === "function") holder.setLearningRate(rate);
  else holder.learningRate = rate;
}
