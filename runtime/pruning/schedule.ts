/**
 * Pruning schedules, carried out by `fit` as training callbacks:
 *
 * - `oneShot`: prune `percent`% of the live connections once, at the end of
 *   epoch `atEpoch` (or after step `atStep`); `atEpoch: 0` prunes when the
 *   network is created, before any training;
 * - `iterative`: every `every` epochs from epoch `start` on (default
 *   `every`), prune `percent`% of what is still live, until the pruned share
 *   of the scope reaches `target`; with `rewind`, the
 *   surviving weights then go back to their values at the start of training
 *   (`"init"`, the lottery-ticket procedure) or at the end of epoch N
 *   (`{ epoch: N }`, late rewinding);
 * - `gradual`: Zhu & Gupta's cubic schedule: after step t (counted in
 *   batches from 1), for start ≤ t ≤ end and every `every` steps, the
 *   sparsity of the scope is brought to s_f + (s_0 − s_f)(1 − (t − start)/(end − start))³.
 *
 * Saliencies are the data-free ones (magnitude by default). A schedule's
 * scope is every prunable weight (dense blocks, convs, recurrent weights:
 * weights.ts) unless its `blocks` names some. With a `unit` other than
 * `weight` (units.ts) it prunes whole kernels, channels or neurons, its scope
 * left out is every weight the unit fits, and percentages, sparsities and
 * targets count units, not entries.
 */
import type { Model } from "../model.js";
import { liveUnits, prune, rankingGroups, unitScope, type PruneOptions } from "./prune.js";
import type { PruneUnit } from "./units.js";
import { prunableWeights, type PrunableWeight } from "./weights.js";
import type { PruningSchedule } from "../spec.js";
import type { SavedArray } from "../training/options.js";
import { assignParameters, parameterValues, savedParameters } from "../training/snapshot.js";

export type { PruningSchedule, ScheduleSaliency } from "../spec.js";

/** What a schedule did, for the epoch logs. */
export interface PruningEvent {
  readonly epoch: number;
  readonly step: number;
  readonly pruned: number;
  readonly sparsity: number;
}

/** What the hooks remember between calls, for resuming a run: the steps counted and the rewind points' weights. */
export interface PruningHooksState {
  readonly step: number;
  /** `"init"` or `"epochN"`, each with every parameter's values then (only points some schedule rewinds to). */
  readonly snapshots: readonly { readonly point: string; readonly parameters: readonly SavedArray[] }[];
}

/** The points of training where schedules act; `fit` calls them before the user's callbacks. */
export interface PruningHooks {
  trainBegin(): void;
  epochBegin(epoch: number): void;
  batchEnd(): void;
  epochEnd(): void;
  /** The state after the last call (taken between epochs). */
  save(): PruningHooksState;
  /** Continues from a saved state instead of `trainBegin`. @throws Error for a state that does not fit the model. */
  restore(state: PruningHooksState): void;
}

/** The hooks that carry out `schedules` on `model` during `fit`; `events` collects what they did. */
export function pruningHooks(model: Model, schedules: readonly PruningSchedule[], events: PruningEvent[] = []): PruningHooks {
  for (const schedule of schedules) validate(model, schedule);
  let step = 0;
  let epoch = 0;
  const snapshots = new Map<string, Float32Array[]>();
  const snapshot = (): Float32Array[] => model.parameters.map((p) => Float32Array.from(p.variable.dataSync() as Float32Array));
  // Only rewind points are kept: a copy of every parameter is the size of the model.
  const rewindsToInit = schedules.some((s) => s.kind === "iterative" && s.rewind === "init");
  const unitOf = (s: PruningSchedule): PruneUnit => s.unit ?? "weight";
  const weightsOf = (s: PruningSchedule): PrunableWeight[] => unitScope(model, s.blocks, unitOf(s), `${model.name}: pruning schedule '${s.kind}'`);
  /** Whether a unit must go for the scope to reach `target` sparsity — under layer scope, for some layer (each reaches it on its own). */
  const belowTarget = (s: PruningSchedule, target: number): boolean =>
    rankingGroups(weightsOf(s), s.scope ?? "global").some((group) => {
      const { live, total } = liveUnits(model, group, unitOf(s));
      return live - Math.ceil((1 - target) * total - 1e-9) > 0;
    });
  const run = (s: PruningSchedule, amount: PruneOptions["amount"]): number => {
    const blocks = weightsOf(s).map((w) => w.name);
    const result = prune(model, { amount, saliency: s.saliency ?? "magnitude", scope: s.scope ?? "global", blocks, unit: unitOf(s), seed: s.seed ?? 0 });
    events.push({ epoch, step, pruned: result.pruned, sparsity: result.sparsity });
    return result.pruned;
  };
  /** Prunes the scope (each layer, under layer scope) up to sparsity `target` (never back). */
  const pruneTo = (s: PruningSchedule, target: number): void => {
    if (belowTarget(s, target)) run(s, { sparsity: target });
  };

  return {
    trainBegin: () => {
      if (rewindsToInit) snapshots.set("init", snapshot());
    },
    epochBegin: (e) => {
      epoch = e;
    },
    batchEnd: () => {
      step++;
      for (const s of schedules) {
        if (s.kind === "oneShot" && s.atStep === step) run(s, { percent: s.percent });
        if (s.kind === "gradual" && step >= s.start && step <= s.end && (step - s.start) % s.every === 0) {
          const progress = (step - s.start) / Math.max(1, s.end - s.start);
          pruneTo(s, s.final + (s.initial - s.final) * Math.pow(1 - progress, 3));
        }
      }
    },
    epochEnd: () => {
      for (const s of schedules) {
        if (s.kind === "iterative" && typeof s.rewind === "object" && s.rewind.epoch === epoch) snapshots.set(`epoch${epoch}`, snapshot());
      }
      for (const s of schedules) {
        if (s.kind === "oneShot" && s.atEpoch === epoch) run(s, { percent: s.percent });
        const first = s.kind === "iterative" ? (s.start ?? s.every) : 0;
        if (s.kind === "iterative" && epoch >= first && (epoch - first) % s.every === 0 && belowTarget(s, s.target)) {
          const pruned = run(s, { sparsity: s.target, atMostPercent: s.percent });
          const point = s.rewind === undefined || s.rewind === "none" ? undefined : s.rewind === "init" ? "init" : `epoch${s.rewind.epoch}`;
          const weights = point === undefined ? undefined : snapshots.get(point);
          if (weights && pruned > 0) assignParameters(model, weights);
        }
      }
    },
    save: () => ({
      step,
      snapshots: [...snapshots].map(([point, values]) => ({ point, parameters: savedParameters(model, values) })),
    }),
    restore: (state) => {
      if (!(Number.isInteger(state.step) && state.step >= 0))
        throw new Error(`${model.name}: pruning: a saved step count must be a non-negative integer, got ${String(state.step)}`);
      step = state.step;
      snapshots.clear();
      for (const { point, parameters } of state.snapshots) snapshots.set(point, parameterValues(model, parameters, `${model.name}: pruning's '${point}' snapshot`));
    },
  };
}

function validate(model: Model, s: PruningSchedule): void {
  const where = `${model.name}: pruning schedule '${s.kind}'`;
  const known = new Set(prunableWeights(model).map((w) => w.name));
  for (const block of s.blocks ?? []) if (!known.has(block)) throw new Error(`${where}: unknown block '${block}'`);
  unitScope(model, s.blocks, s.unit ?? "weight", where);
  const fraction = (name: string, v: number): void => {
    if (!(v >= 0 && v <= 1)) throw new Error(`${where}: ${name} must be in [0, 1], got ${v}`);
  };
  const positive = (name: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${where}: ${name} must be a positive integer, got ${v}`);
  };
  if (s.kind !== "gradual" && !(s.percent > 0 && s.percent <= 100)) throw new Error(`${where}: percent must be in (0, 100], got ${s.percent}`);
  if (s.kind === "oneShot" && (s.atEpoch === undefined) === (s.atStep === undefined)) throw new Error(`${where}: give exactly one of atEpoch and atStep`);
  if (s.kind === "iterative") {
    positive("every", s.every);
    if (s.start !== undefined) positive("start", s.start);
    fraction("target", s.target);
  }
  if (s.kind === "gradual") {
    fraction("initial", s.initial);
    fraction("final", s.final);
    positive("every", s.every);
    if (!(Number.isInteger(s.start) && s.start >= 1 && s.end >= s.start)) throw new Error(`${where}: need 1 ≤ start ≤ end, got ${s.start} and ${s.end}`);
  }
}

/** Carries out the one-shot schedules of epoch 0, as `createNetwork` does right after initialisation. */
export function pruneAtCreation(model: Model, schedules: readonly PruningSchedule[]): void {
  for (const s of schedules) {
    if (s.kind !== "oneShot" || s.atEpoch !== 0) continue;
    validate(model, s);
    const options = { amount: { percent: s.percent }, saliency: s.saliency ?? "magnitude", scope: s.scope ?? "global", unit: s.unit ?? "weight", seed: s.seed ?? 0 } as const;
    prune(model, { ...options, ...(s.blocks ? { blocks: s.blocks } : {}) });
  }
}
