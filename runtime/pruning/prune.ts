/**
 * Pruning: zeros in the masks, at three orders — single connections (by a
 * saliency and a strategy), whole neurons, whole blocks — plus making masks
 * permanent and recomputing them from a magnitude threshold.
 */
import type { Model } from "../model.js";
import { computeSaliency, magnitudes, SALIENCIES, type SaliencyName, type SaliencyOptions } from "./saliency.js";
import { countOf, pruneMagnitudes } from "./magnitudes.js";
import { lowestCut, rankedRange, switchOffCut, withinBudget, type MaskedSegment } from "./select.js";
import { fitsUnit, PRUNE_UNITS, pruneUnits, UNIT_FITS, unitCounts, type PruneUnit, type UnitAmount } from "./units.js";
import { liveOf, prunableWeights, readWeights, writeWeights, type PrunableWeight } from "./weights.js";

/**
 * How much to prune: a percentage of the live connections in scope, an exact
 * count, a saliency budget ("bucket"), or up to a sparsity — each group (the
 * scope, or under layer scope each layer) brought to `sparsity` of its
 * units pruned, never back, taking at most `atMostPercent` of its live units
 * (what the iterative and gradual schedules ask for).
 */
export type PruneAmount = { readonly percent: number } | { readonly count: number } | { readonly budget: number } | { readonly sparsity: number; readonly atMostPercent?: number };

export interface PruneOptions extends SaliencyOptions {
  /** A saliency by name (default `"magnitude"`), or the user's own: per weight, one value per entry (row-major in its mask's shape). */
  readonly saliency?: SaliencyName | Readonly<Record<string, ArrayLike<number>>>;
  readonly amount: PruneAmount;
  /** `global` (default): one ranking over all weights in scope; `layer`: each layer's incoming weights on their own (a conv's; a recurrent layer's input and hidden weights together). */
  readonly scope?: "global" | "layer";
  /** Weights that may be pruned, as getMask names them: dense blocks, convs (`conv1`, `cell3.conv1`), recurrent weights (`lstm1.input`, `lstm1.hidden`). Default: all. */
  readonly blocks?: readonly string[];
  /** What is ranked and pruned whole (units.ts; default `weight`): the amount then counts units, and `blocks` left out means every weight the unit fits. */
  readonly unit?: PruneUnit;
}

export interface PruneResult {
  /** Connections pruned now. */
  readonly pruned: number;
  /** Live connections after pruning, over every prunable weight of the model (dense, conv, recurrent). */
  readonly live: number;
  readonly total: number;
  readonly sparsity: number;
}

/**
 * Prunes the lowest-saliency live connections of dense blocks, convs and
 * recurrent weights, one by one or (with `unit`) as whole kernels, channels
 * or neurons (units.ts). Connections already pruned are neither ranked nor
 * counted. Ties are broken by position: earlier weight (convs, recurrent
 * weights, then blocks, each in the model's order), then lower index in it,
 * pruned first. Single connections by magnitude (the default) are ranked on
 * the stored weights and switched off in the stored masks (magnitudes.ts).
 * @throws Error for an unknown weight, one the unit does not fit, a bad amount, a user saliency of the wrong shape, or a live weight that is NaN under magnitude pruning.
 */
export function prune(model: Model, options: PruneOptions): PruneResult {
  const where = `${model.name}.prune`;
  if (options === null || typeof options !== "object") throw new Error(`${where}: expected options with an amount, e.g. { amount: { percent: 10 } }, got ${String(options)}`);
  const unit = options.unit ?? "weight";
  const inScope = unitScope(model, options.blocks, unit, where);
  checkAmount(where, options.amount);
  // Magnitudes by count or percentage are ranked on the weights where they lie (pruneMagnitudes): no saliency arrays.
  const byMagnitude = unit === "weight" && (options.saliency ?? "magnitude") === "magnitude" && !("budget" in options.amount);
  const saliency = byMagnitude ? undefined : saliencies(model, options, inScope, where);

  let pruned = 0;
  const liveAfter = new Map<string, number>();
  for (const blocks of rankingGroups(inScope, options.scope ?? "global")) {
    const amount = "sparsity" in options.amount ? { count: countToSparsity(model, blocks, unit, options.amount) } : options.amount;
    if (saliency !== undefined) pruned += unit === "weight" ? pruneEntries(model, blocks, saliency, amount) : pruneUnits(model, blocks, unit, saliency, amount);
    else if (!("budget" in amount)) pruned += pruneMagnitudes(model, blocks, amount, liveAfter, where); // (byMagnitude has no budget)
  }
  return result(model, pruned, liveAfter);
}

/** The groups ranked on their own: the whole scope, or under layer scope each layer's weights (in the scope's order). */
export function rankingGroups(weights: readonly PrunableWeight[], scope: "global" | "layer"): PrunableWeight[][] {
  const groups = new Map<string, PrunableWeight[]>();
  for (const weight of weights) {
    const key = scope === "layer" ? weight.layer : "all";
    groups.set(key, [...(groups.get(key) ?? []), weight]);
  }
  return [...groups.values()];
}

/** A group's live and total units (entries, for unit weight). */
export function liveUnits(model: Model, weights: readonly PrunableWeight[], unit: PruneUnit): { live: number; total: number } {
  if (unit !== "weight") return unitCounts(model, weights, unit);
  return { live: weights.reduce((n, w) => n + liveOf(model, w), 0), total: weights.reduce((n, w) => n + w.size, 0) };
}

/** How many of a group's live units to prune to bring it to `sparsity` (never back), at most `atMostPercent` of them. */
function countToSparsity(model: Model, weights: readonly PrunableWeight[], unit: PruneUnit, amount: { readonly sparsity: number; readonly atMostPercent?: number }): number {
  const { live, total } = liveUnits(model, weights, unit);
  const toTarget = live - Math.ceil((1 - amount.sparsity) * total - 1e-9);
  const capped = amount.atMostPercent === undefined ? toTarget : Math.min(toTarget, Math.floor((amount.atMostPercent / 100) * live));
  return Math.max(0, capped);
}

/**
 * Prunes the lowest-saliency live entries of `blocks` ranked together; returns
 * how many. A count or percentage is ranked where the entries lie (each
 * block's saliency under its mask: select.ts lowestCut), a budget over the
 * live entries gathered into one array; only the masks that change are set
 * again (setMask marks a block for re-planning, which the next forward pass
 * does once for all of them).
 */
function pruneEntries(model: Model, blocks: readonly PrunableWeight[], saliency: ReadonlyMap<string, ArrayLike<number>>, amount: UnitAmount): number {
  const segments = blocks.map((b) => ({ values: rankable(saliency.get(b.name)!), mask: model.getMask(b.name) }));
  const off = "budget" in amount ? switchOffWithinBudget(segments, amount.budget) : switchOffLowest(segments, amount);
  blocks.forEach((b, k) => {
    if (off[k]! > 0) model.setMask(b.name, segments[k]!.mask);
  });
  return off.reduce((a, b) => a + b, 0);
}

/** The lowest live entries, a count or a percentage of them, switched off; how many per segment. */
function switchOffLowest(segments: readonly MaskedSegment[], amount: { readonly count: number } | { readonly percent: number }): number[] {
  const range = rankedRange(segments);
  const live = range.count;
  const count = countOf(amount, live);
  if (count === 0) return segments.map(() => 0);
  if (count < live) return switchOffCut(segments, lowestCut(segments, count, range));
  return segments.map(({ mask }) => {
    let on = 0;
    for (let i = 0; i < mask.length; i++) on += mask[i]!;
    mask.fill(0);
    return on;
  });
}

/** Saliencies as a typed array the ranking reads fast (a user's plain array is copied once). */
function rankable(values: ArrayLike<number>): Float32Array | Float64Array {
  return values instanceof Float32Array || values instanceof Float64Array ? values : Float64Array.from(values);
}

/** The bucket strategy (select.ts withinBudget) over the live entries, in segment then index order; how many switched off per segment. */
function switchOffWithinBudget(segments: readonly MaskedSegment[], budget: number): number[] {
  const live = segments.map(({ mask }) => liveIndices(mask));
  const offsets = [0];
  for (const indices of live) offsets.push(offsets.at(-1)! + indices.length);
  const candidates = new Float64Array(offsets.at(-1)!);
  segments.forEach(({ values }, k) => live[k]!.forEach((i, j) => (candidates[offsets[k]! + j] = values[i]!)));
  const off = segments.map(() => 0);
  let k = 0;
  for (const c of withinBudget(candidates, budget)) {
    while (c >= offsets[k + 1]!) k++;
    segments[k]!.mask[live[k]![c - offsets[k]!]!] = 0;
    off[k]!++;
  }
  return off;
}

function liveIndices(mask: Uint8Array): Uint32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i]!;
  const indices = new Uint32Array(count);
  let next = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) indices[next++] = i;
  return indices;
}

/**
 * The weights a pruning by `unit` reaches: those `names` chooses, each of a
 * kind the unit fits, or (names left out) every prunable weight the unit fits.
 * @throws Error for an unknown unit or name, a named weight the unit does not fit, or no weight it fits.
 */
export function unitScope(model: Model, names: readonly string[] | undefined, unit: PruneUnit, where: string): PrunableWeight[] {
  if (!PRUNE_UNITS.includes(unit)) throw new Error(`${where}: unknown unit '${String(unit)}'; expected one of ${PRUNE_UNITS.join(", ")}`);
  const scope = scopeOf(model, names, where);
  const kinds = UNIT_FITS[unit];
  const misfit = names === undefined ? undefined : scope.find((w) => !fitsUnit(unit, w));
  if (misfit !== undefined) throw new Error(`${where}: unit '${unit}' groups ${kinds.join(" and ")} weights, and '${misfit.name}' is a ${misfit.kind} weight`);
  const fitting = scope.filter((w) => fitsUnit(unit, w));
  if (fitting.length === 0 && scope.length > 0) throw new Error(`${where}: unit '${unit}' groups ${kinds.join(" and ")} weights, and the model has none`);
  return fitting;
}

/** The weights `names` chooses (default: every prunable one), in the model's order whatever the order of `names`. */
export function scopeOf(model: Model, names: readonly string[] | undefined, where: string): PrunableWeight[] {
  const all = prunableWeights(model);
  if (names === undefined) return all;
  const known = new Set(all.map((w) => w.name));
  for (const name of names) {
    if (!known.has(name)) throw new Error(`${where}: unknown block '${name}'; prunable weights are ${[...known].map((n) => `'${n}'`).join(", ")}`);
  }
  const chosen = new Set(names);
  return all.filter((w) => chosen.has(w.name));
}

/** The result after pruning `pruned`; `liveAfter` has the live entries of the weights the ranking already counted. */
function result(model: Model, pruned: number, liveAfter: ReadonlyMap<string, number> = new Map()): PruneResult {
  let [live, total] = [0, 0];
  for (const weight of prunableWeights(model)) {
    live += liveAfter.get(weight.name) ?? liveOf(model, weight);
    total += weight.size;
  }
  return { pruned, live, total, sparsity: total === 0 ? 0 : 1 - live / total };
}

function checkAmount(where: string, amount: PruneAmount): void {
  const kinds = amount !== null && typeof amount === "object" ? ["percent", "count", "budget", "sparsity"].filter((k) => k in amount) : [];
  if (kinds.length !== 1) throw new Error(`${where}: amount must be one of { percent }, { count }, { budget } or { sparsity }, got ${JSON.stringify(amount) ?? String(amount)}`);
  if ("sparsity" in amount) return checkSparsityAmount(where, amount);
  if ("percent" in amount && !(amount.percent >= 0 && amount.percent <= 100)) throw new Error(`${where}: percent must be in [0, 100], got ${amount.percent}`);
  if ("count" in amount && !(Number.isInteger(amount.count) && amount.count >= 0)) throw new Error(`${where}: count must be a non-negative integer, got ${amount.count}`);
  if ("budget" in amount && !(amount.budget >= 0 && Number.isFinite(amount.budget))) throw new Error(`${where}: budget must be a non-negative number, got ${amount.budget}`);
}

function checkSparsityAmount(where: string, amount: { readonly sparsity: number; readonly atMostPercent?: number }): void {
  if (!(amount.sparsity >= 0 && amount.sparsity <= 1)) throw new Error(`${where}: sparsity must be in [0, 1], got ${amount.sparsity}`);
  const most = amount.atMostPercent;
  if (most !== undefined && !(most >= 0 && most <= 100)) throw new Error(`${where}: atMostPercent must be in [0, 100], got ${most}`);
}

function saliencies(model: Model, options: PruneOptions, scope: readonly PrunableWeight[], where: string): Map<string, ArrayLike<number>> {
  const chosen = options.saliency ?? "magnitude";
  if (typeof chosen === "string") {
    if (!SALIENCIES.includes(chosen)) throw new Error(`${where}: unknown saliency '${chosen}'; expected one of ${SALIENCIES.join(", ")}`);
    return chosen === "magnitude" ? magnitudes(model, scope) : computeSaliency(model, chosen, options, scope);
  }
  const shapes = new Map(prunableWeights(model).map((w) => [w.name, w.shape]));
  for (const name of Object.keys(chosen)) {
    if (!shapes.has(name)) throw new Error(`${where}: the saliency names unknown block '${name}'`);
  }
  for (const { name: block, size, shape } of scope) {
    const values = chosen[block];
    if (values === undefined) throw new Error(`${where}: the saliency has no values for block '${block}'`);
    if (values.length !== size) {
      throw new Error(`${where}: the saliency of block '${block}' has ${values.length} values; expected ${size} ([${shape.join(", ")}], row-major)`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`${where}: the saliency of block '${block}' has a non-finite value at ${i}`);
    }
  }
  return new Map(Object.entries(chosen));
}

/** Order 1: prunes whole neurons of a layer — every connection into them and out of them. */
export function pruneNeurons(model: Model, layer: string, neurons: readonly number[]): void {
  const info = model.layers.find((l) => l.name === layer);
  if (info === undefined) throw new Error(`${model.name}.pruneNeurons: unknown layer '${layer}'`);
  for (const n of neurons) {
    if (!Number.isInteger(n) || n < 0 || n >= info.size) throw new Error(`${model.name}.pruneNeurons: layer '${layer}' has neurons 0 … ${info.size - 1}, not ${n}`);
  }
  for (const block of model.blocks) {
    if (block.target !== layer && block.source !== layer) continue;
    const mask = model.getMask(block.name);
    for (const n of neurons) {
      if (block.target === layer) for (let r = 0; r < block.sourceSize; r++) mask[r * block.targetSize + n] = 0;
      if (block.source === layer) mask.fill(0, n * block.targetSize, (n + 1) * block.targetSize);
    }
    model.setMask(block.name, mask);
  }
}

/** Order 1: the neurons of a layer that still have a live incoming connection (for the input: a live outgoing one). */
export function liveNeurons(model: Model, layer: string): number[] {
  const info = model.layers.find((l) => l.name === layer);
  if (info === undefined) throw new Error(`${model.name}.liveNeurons: unknown layer '${layer}'`);
  const live = new Uint8Array(info.size);
  for (const block of model.blocks) {
    const incoming = block.target === layer && info.kind !== "input";
    const outgoing = block.source === layer && info.kind === "input";
    if (!incoming && !outgoing) continue;
    model.getMask(block.name).forEach((m, i) => {
      if (m === 1) live[incoming ? i % block.targetSize : Math.floor(i / block.targetSize)] = 1;
    });
  }
  return Array.from(live.keys()).filter((n) => live[n] === 1);
}

/** Order 2: prunes a whole block, conv or recurrent weight. */
export function pruneBlock(model: Model, block: string): void {
  const [info] = scopeOf(model, [block], `${model.name}.pruneBlock`);
  model.setMask(block, new Uint8Array(info!.size));
}

/** Makes the masks permanent: stored weights of pruned connections (dense, conv, recurrent) become 0, so unmasking them later starts from zero. */
export function applyMask(model: Model): void {
  for (const weight of prunableWeights(model)) {
    if (weight.kind === "dense") {
      model.setWeights(weight.name, model.getWeights(weight.name));
      continue;
    }
    const values = readWeights(model, weight);
    const mask = model.getMask(weight.name);
    for (let i = 0; i < values.length; i++) if (mask[i] === 0) values[i] = 0;
    writeWeights(model, weight, values);
  }
}

/** Prunes every live connection whose |weight| is at most `theta`; pruned connections stay pruned. */
export function recomputeMask(model: Model, theta: number): PruneResult {
  if (!(theta >= 0) || !Number.isFinite(theta)) throw new Error(`${model.name}.recomputeMask: theta must be a non-negative number, got ${theta}`);
  let pruned = 0;
  for (const weight of prunableWeights(model)) {
    const mask = model.getMask(weight.name);
    const w = readWeights(model, weight);
    mask.forEach((m, i) => {
      if (m === 1 && Math.abs(w[i]!) <= theta) {
        mask[i] = 0;
        pruned++;
      }
    });
    model.setMask(weight.name, mask);
  }
  return result(model, pruned);
}
