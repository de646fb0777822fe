/**
 * Early stopping on the held-out metric, as Keras's EarlyStopping callback:
 * an epoch improves when its value beats the best so far by more than
 * `minDelta`; after `patience` epochs in a row that do not (Keras stops at
 * the first one for patience 0 and 1 alike), training stops, and with
 * `restoreBest` the best epoch's parameters and masks are put back.
 */
import type { Model } from "../model.js";
import type { LossName } from "./losses.js";
import type { EarlyStoppingMonitor, EarlyStoppingOptions, EarlyStoppingState, EpochLogs, History } from "./options.js";
import { restoreSnapshot, takeSnapshot } from "./snapshot.js";

export interface EarlyStopper {
  /** After an epoch's logs: whether to stop (the best parameters already put back when asked). */
  update(model: Model, logs: EpochLogs): boolean;
  save(): EarlyStoppingState;
  restore(state: EarlyStoppingState): void;
  summary(): NonNullable<History["earlyStopping"]> | undefined;
}

const MONITORS: readonly EarlyStoppingMonitor[] = ["valLoss", "valAccuracy"];

/** @throws Error naming the field for a value out of range, or a monitor there is nothing to measure for. */
export function earlyStopper(where: string, options: EarlyStoppingOptions, validated: boolean, lossName: LossName): EarlyStopper {
  if (options === null || typeof options !== "object")
    throw new Error(`${where}: earlyStopping must be an object { monitor?, patience?, minDelta?, restoreBest? }, got ${String(options)}`);
  const { monitor = "valLoss", patience = 0, minDelta = 0, restoreBest = false } = options;
  if (!MONITORS.includes(monitor)) throw new Error(`${where}: earlyStopping.monitor must be "valLoss" or "valAccuracy", got ${JSON.stringify(monitor)}`);
  if (!(Number.isInteger(patience) && patience >= 0)) throw new Error(`${where}: earlyStopping.patience must be a non-negative integer (epochs), got ${String(patience)}`);
  if (!(typeof minDelta === "number" && minDelta >= 0 && Number.isFinite(minDelta)))
    throw new Error(`${where}: earlyStopping.minDelta must be a non-negative number, got ${String(minDelta)}`);
  if (typeof restoreBest !== "boolean") throw new Error(`${where}: earlyStopping.restoreBest must be true or false, got ${String(restoreBest)}`);
  if (!validated) throw new Error(`${where}: earlyStopping monitors ${monitor}, which needs validationData or validationSplit`);
  if (monitor === "valAccuracy" && lossName !== "crossEntropy")
    throw new Error(`${where}: earlyStopping.monitor "valAccuracy" needs the crossEntropy loss; monitor "valLoss" with ${lossName}`);
  const lower = monitor === "valLoss";
  let state: EarlyStoppingState = { best: null, bestEpoch: 0, wait: 0 };
  const stops = (wait: number): boolean => wait >= Math.max(1, patience);
  return {
    update(model, logs) {
      const value = logs[monitor]!;
      const { best } = state;
      if (best === null || (lower ? value < best - minDelta : value > best + minDelta)) {
        state = { best: value, bestEpoch: logs.epoch, wait: 0, ...(restoreBest ? { bestSnapshot: takeSnapshot(model) } : {}) };
        return false;
      }
      state = { ...state, wait: state.wait + 1 };
      if (!stops(state.wait)) return false;
      if (state.bestSnapshot !== undefined) restoreSnapshot(model, state.bestSnapshot, `${where}: early stopping's best epoch`);
      return true;
    },
    save: () => state,
    restore(saved) {
      const ok =
        saved !== null && typeof saved === "object" && (saved.best === null || typeof saved.best === "number") && Number.isInteger(saved.bestEpoch) && Number.isInteger(saved.wait);
      if (!ok) throw new Error(`${where}: resume: the early-stopping state must be { best, bestEpoch, wait, bestSnapshot? }, got something else`);
      if (restoreBest && saved.best !== null && saved.bestSnapshot === undefined)
        throw new Error(`${where}: resume: earlyStopping.restoreBest is on but the state holds no best epoch's parameters`);
      state = saved;
    },
    // Whether it stopped follows from the state, so a resumed finished run says the same.
    summary: () => (state.best === null ? undefined : { monitor, bestEpoch: state.bestEpoch, best: state.best, restored: stops(state.wait) && state.bestSnapshot !== undefined }),
  };
}
