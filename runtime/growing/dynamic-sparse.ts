/**
 * Dynamic sparse training at a fixed sparsity: SET (Mocanu et al. 2018) and
 * RigL (Evci et al. 2020), over every weight pruning reaches
 * (pruning/weights.ts `prunableWeights`: dense blocks, convs of the feature
 * stack, the cells and the head, recurrent `.input` and `.hidden` weights),
 * or those the spec's `blocks` names. Every `every` steps up to step `stop`,
 * each weight drops the fraction f_t of its live entries with the smallest
 * |w| and regrows as many among the entries that were inactive before the
 * update (and that its structure allows: masks/structure.ts): RigL where the
 * loss gradient on the current batch is largest in magnitude (the model's
 * denseWeightGradients, which every kind's kernel gives at masked entries
 * too), SET at random. RigL's gradient is the training-mode loss's, the one
 * fit's step takes: batch norms normalise the batch by its own statistics
 * (a fresh network's running statistics would make them the identity), and
 * the running statistics are put back afterwards (keepingState), so the
 * update does not count the batch twice. f_t is `dropFraction` (constant) or
 * dropFraction/2 · (1 + cos(π t / stop)) (cosine). The number of live
 * entries never changes.
 *
 * The sparse start is drawn when the network is created: each weight gets a
 * density — the same for all (`uniform`) or ∝ Σ shape / Π shape (`erk`:
 * (n_in + n_out)/(n_in · n_out) for a block or a recurrent weight, the
 * kernel form (k_h + k_w + c_in + c_out)/(k_h · k_w · c_in · c_out) for a
 * conv), scaled so the overall sparsity is `sparsity` and capped at 1 — and
 * keeps that share of its structural entries, chosen at random from the seed.
 */
import { initLimit } from "../init.js";
import { structuralMask } from "../masks/structure.js";
import type { Model } from "../model.js";
import { keepingState, prunableWeights, readWeights, writeWeights, type PrunableWeight } from "../pruning/weights.js";
import { createRandom, restoreRandom, type Random, type RandomState } from "../random.js";
import type { LossName } from "../training/losses.js";
import type { TrainingData } from "../training/options.js";
import { lowest } from "../pruning/select.js";
import type { DynamicSparsity } from "../spec.js";

export type { DynamicSparsity } from "../spec.js";

export interface GrowthEvent {
  readonly epoch: number;
  readonly step: number;
  readonly dropped: number;
  readonly regrown: number;
}

/** A weight in scope with what its structure allows. */
interface ScopedWeight {
  readonly weight: PrunableWeight;
  readonly allowed: Uint8Array;
}

/** The weights in scope, in prunableWeights' order (convs, recurrent, dense). */
function scopeOf(model: Model, config: DynamicSparsity): ScopedWeight[] {
  const all = prunableWeights(model);
  const wanted = new Set(config.blocks ?? all.map((w) => w.name));
  return all.filter((w) => wanted.has(w.name)).map((weight) => ({ weight, allowed: structuralMask(model.spec, weight) }));
}

/** Draws the sparse start. @throws Error for a sparsity outside [0, 1) or an unknown weight. */
export function applySparseStart(model: Model, config: DynamicSparsity): void {
  validate(model, config);
  const scope = scopeOf(model, config);
  const random = createRandom(config.seed ?? 0);
  const weights = scope.map((s) => s.weight);
  const densities = config.distribution === "erk" ? erkDensities(weights, 1 - config.sparsity) : weights.map(() => 1 - config.sparsity);
  scope.forEach(({ weight, allowed: structure }, i) => {
    const allowed = Array.from(structure.keys()).filter((j) => structure[j] === 1);
    const keep = Math.round(densities[i]! * weight.size);
    shuffle(allowed, random);
    const mask = new Uint8Array(weight.size);
    for (const j of allowed.slice(0, Math.min(keep, allowed.length))) mask[j] = 1;
    setMasked(model, weight, mask, readWeights(model, weight));
  });
}

/** ERK densities: ε · Σ shape / Π shape, ε chosen for the overall density, weights that would exceed 1 made dense. */
function erkDensities(weights: readonly PrunableWeight[], density: number): number[] {
  const raw = weights.map((w) => w.shape.reduce((a, d) => a + d, 0) / w.size);
  const dense = new Set<number>();
  const budget = density * weights.reduce((n, b) => n + b.size, 0);
  for (;;) {
    const fixed = [...dense].reduce((n, i) => n + weights[i]!.size, 0);
    const scaled = weights.reduce((n, b, i) => n + (dense.has(i) ? 0 : raw[i]! * b.size), 0);
    const epsilon = (budget - fixed) / scaled;
    const over = weights.findIndex((_, i) => !dense.has(i) && epsilon * raw[i]! > 1);
    if (over === -1) return weights.map((_, i) => (dense.has(i) ? 1 : epsilon * raw[i]!));
    dense.add(over);
  }
}

/** What the hooks remember between calls, for resuming a run: the steps counted and SET's random source. */
export interface GrowthHooksState {
  readonly step: number;
  readonly random: RandomState;
}

/** The update hooks `fit` calls; `events` collects what each update did. */
export interface GrowthHooks {
  epochBegin(epoch: number): void;
  /** After a step, with the batch it trained on. */
  batchEnd(batch: TrainingData): void;
  /** The state after the last call (taken between epochs). */
  save(): GrowthHooksState;
  /** Continues from a saved state. */
  restore(state: GrowthHooksState): void;
}

/** `lossName`: the loss fit trains, whose gradient RigL ranks by. */
export function dynamicSparseHooks(model: Model, config: DynamicSparsity, events: GrowthEvent[] = [], lossName: LossName = "crossEntropy"): GrowthHooks {
  validate(model, config);
  const scope = scopeOf(model, config);
  let random = createRandom((config.seed ?? 0) + 1);
  let step = 0;
  let epoch = 0;
  return {
    epochBegin: (e) => {
      epoch = e;
    },
    batchEnd: (batch) => {
      step++;
      if (step % config.every !== 0 || step > config.stop) return;
      const fraction = config.decay === "constant" ? config.dropFraction : (config.dropFraction / 2) * (1 + Math.cos((Math.PI * step) / config.stop));
      const gradients = config.method === "rigl" ? trainingGradients(model, batch, lossName) : undefined;
      let dropped = 0;
      let regrown = 0;
      for (const scoped of scope) {
        const result = updateWeight(model, scoped, fraction, gradients?.get(scoped.weight.name), random, config);
        dropped += result;
        regrown += result;
      }
      events.push({ epoch, step, dropped, regrown });
    },
    save: () => ({ step, random: random.state() }),
    restore: (state) => {
      if (!(Number.isInteger(state.step) && state.step >= 0))
        throw new Error(`${model.name}: ${config.method}: a saved step count must be a non-negative integer, got ${String(state.step)}`);
      step = state.step;
      random = restoreRandom(state.random);
    },
  };
}

/** RigL's gradient at every entry: the training-mode loss on `batch`, the running statistics left as they were. */
function trainingGradients(model: Model, batch: TrainingData, lossName: LossName): Map<string, Float32Array> {
  return keepingState(model, () => model.denseWeightGradients(batch, lossName, { training: true }));
}

/** One weight's drop-and-grow; returns how many entries moved. */
function updateWeight(model: Model, scoped: ScopedWeight, fraction: number, gradient: Float32Array | undefined, random: Random, config: DynamicSparsity): number {
  const { weight, allowed } = scoped;
  const mask = model.getMask(weight.name);
  const values = readWeights(model, weight);
  const live: number[] = [];
  const inactive: number[] = [];
  mask.forEach((m, i) => {
    if (m === 1) live.push(i);
    else if (allowed[i] === 1) inactive.push(i);
  });
  const k = Math.min(Math.floor(fraction * live.length), inactive.length);
  if (k === 0) return 0;
  const drop = lowest(
    Float64Array.from(live, (i) => Math.abs(values[i]!)),
    k,
  );
  let grow: number[];
  if (gradient !== undefined) {
    // The k largest |gradient| among the inactive, ties by position.
    const chosen = lowest(
      Float64Array.from(inactive, (i) => -Math.abs(gradient[i]!)),
      k,
    );
    grow = Array.from(chosen, (c) => inactive[c]!);
  } else {
    shuffle(inactive, random);
    grow = inactive.slice(0, k);
  }
  for (const c of drop) mask[live[c]!] = 0;
  for (const i of grow) mask[i] = 1;
  // Regrown weights: zero, or drawn like the initialisation for the target's new fan-in
  // (the last axis is the target in every kind: a block's neuron, a conv's output channel, a recurrent gate unit).
  const cols = weight.shape.at(-1)!;
  const next = Float32Array.from(values);
  const fanIn = new Uint32Array(cols);
  mask.forEach((m, i) => m === 1 && fanIn[i % cols]!++);
  for (const i of grow) next[i] = config.regrow === "random" ? random.uniform(-1, 1) * initLimit(model.spec.activation, fanIn[i % cols]!) : 0;
  setMasked(model, weight, mask, next);
  return k;
}

/**
 * A weight's new mask and values, the values stored 0 wherever the mask is 0
 * (every kind alike: a connection growth switches off keeps nothing, and one
 * it switches on starts from what the update chose).
 */
function setMasked(model: Model, weight: PrunableWeight, mask: Uint8Array, values: Float32Array): void {
  writeWeights(
    model,
    weight,
    values.map((v, i) => (mask[i] === 1 ? v : 0)),
  );
  model.setMask(weight.name, mask);
}

function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function validate(model: Model, config: DynamicSparsity): void {
  const where = `${model.name}: ${config.method}`;
  if (!(config.sparsity >= 0 && config.sparsity < 1)) throw new Error(`${where}: sparsity must be in [0, 1), got ${config.sparsity}`);
  if (!(config.dropFraction > 0 && config.dropFraction <= 1)) throw new Error(`${where}: the drop fraction must be in (0, 1], got ${config.dropFraction}`);
  if (!(Number.isInteger(config.every) && config.every >= 1)) throw new Error(`${where}: every must be a positive integer, got ${config.every}`);
  if (!(Number.isInteger(config.stop) && config.stop >= 1)) throw new Error(`${where}: stop must be a positive integer, got ${config.stop}`);
  const known = prunableWeights(model).map((w) => w.name);
  for (const block of config.blocks ?? []) {
    if (!known.includes(block)) throw new Error(`${where}: unknown weight '${block}'; the weights growth reaches are ${known.map((n) => `'${n}'`).join(", ")}`);
  }
}
