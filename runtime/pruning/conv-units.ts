/**
 * Order 1 for convs: a whole output channel (its filter, every tap of every
 * input channel) or one input × output kernel (kernel rows × cols taps)
 * pruned as a unit. A unit's saliency is the sum of its live entries'
 * (for magnitude: its L1 norm); a unit is live while one of its entries is.
 * Entries are HWIO row-major: ((row · cols + col) · in + i) · out + o.
 * A channel with no live weight is not computed (features/pruned-maps.ts).
 */
import type { Model } from "../model.js";
import { scopeOf, type PruneAmount, type PruneResult } from "./prune.js";
import { computeSaliency, type SaliencyName, type SaliencyOptions } from "./saliency.js";
import { lowest } from "./select.js";
import { liveOf, prunableWeights, type PrunableWeight } from "./weights.js";

export type ConvUnit = "channel" | "kernel";

export interface ConvUnitOptions extends SaliencyOptions {
  readonly unit: ConvUnit;
  /** A percentage of the live units in scope, or an exact count of them. */
  readonly amount: Exclude<PruneAmount, { budget: number }>;
  readonly saliency?: SaliencyName;
  /** `global` (default): one ranking over the units of every conv in scope; `layer`: each conv's on its own. */
  readonly scope?: "global" | "layer";
  /** Convs that may be pruned (default: all). */
  readonly convs?: readonly string[];
}

/** The unit of entry `i` of a conv whose weight is [rows, cols, inputs, outputs]: its output channel, or input · outputs + output. */
function unitOf(unit: ConvUnit, i: number, inputs: number, outputs: number): number {
  const output = i % outputs;
  return unit === "channel" ? output : (Math.floor(i / outputs) % inputs) * outputs + output;
}

function convsOf(model: Model, names: readonly string[] | undefined, where: string): PrunableWeight[] {
  const scope = scopeOf(model, names ?? prunableWeights(model).flatMap((w) => (w.kind === "conv" ? [w.name] : [])), where);
  const other = scope.find((w) => w.kind !== "conv");
  if (other !== undefined) throw new Error(`${where}: '${other.name}' is not a conv; channels and kernels are units of convs only`);
  return scope;
}

/**
 * Prunes the lowest-saliency live units; ties by position (earlier conv,
 * then lower unit number: output channel, or input · outputs + output).
 * @throws Error for a name that is not a conv, a bad amount or unit.
 */
export function pruneConvUnits(model: Model, options: ConvUnitOptions): PruneResult {
  const where = `${model.name}.pruneConvUnits`;
  if (options.unit !== "channel" && options.unit !== "kernel") throw new Error(`${where}: unit must be 'channel' or 'kernel', got ${String(options.unit)}`);
  const amount = options.amount as { percent?: number; count?: number };
  if (!(amount.percent === undefined ? Number.isInteger(amount.count) && amount.count! >= 0 : amount.percent >= 0 && amount.percent <= 100)) {
    throw new Error(`${where}: amount must be { percent } in [0, 100] or a non-negative integer { count }, got ${JSON.stringify(options.amount)}`);
  }
  const convs = convsOf(model, options.convs, where);
  const saliency = computeSaliency(model, options.saliency ?? "magnitude", options, convs);
  const groups = options.scope === "layer" ? convs.map((c) => [c]) : [convs];
  let pruned = 0;
  for (const group of groups) {
    const units = group.map((conv) => unitSaliencies(model, conv, options.unit, saliency.get(conv.name)!));
    const candidates = new Float64Array(units.flatMap((u) => [...u.live].map((n) => u.sums[n]!)));
    const count = amount.percent === undefined ? Math.min(amount.count!, candidates.length) : Math.floor((amount.percent / 100) * candidates.length);
    const chosen = new Set(lowest(candidates, count));
    // Candidates run conv by conv, each conv's live units in ascending order: `next` walks them in that order.
    let next = 0;
    group.forEach((conv, k) => {
      const dropped = new Set([...units[k]!.live].filter(() => chosen.has(next++)));
      pruned += zeroUnits(model, conv, options.unit, dropped);
    });
  }
  let [live, total] = [0, 0];
  for (const w of prunableWeights(model)) [live, total] = [live + liveOf(model, w), total + w.size];
  return { pruned, live, total, sparsity: total === 0 ? 0 : 1 - live / total };
}

/** Per unit, the sum of its live entries' saliency, and the live units in ascending order. */
function unitSaliencies(model: Model, conv: PrunableWeight, unit: ConvUnit, saliency: ArrayLike<number>): { sums: Float64Array; live: number[] } {
  const [, , inputs, outputs] = conv.shape as readonly [number, number, number, number];
  const sums = new Float64Array(unit === "channel" ? outputs : inputs * outputs);
  const alive = new Uint8Array(sums.length);
  model.getMask(conv.name).forEach((m, i) => {
    if (m === 0) return;
    const u = unitOf(unit, i, inputs, outputs);
    sums[u]! += saliency[i]!;
    alive[u] = 1;
  });
  return { sums, live: Array.from(alive.keys()).filter((u) => alive[u] === 1) };
}

/** Switches off every entry of `units` in a conv's mask; returns how many live entries that was. */
function zeroUnits(model: Model, conv: PrunableWeight, unit: ConvUnit, units: ReadonlySet<number>): number {
  if (units.size === 0) return 0;
  const [, , inputs, outputs] = conv.shape as readonly [number, number, number, number];
  const mask = model.getMask(conv.name);
  let count = 0;
  mask.forEach((m, i) => {
    if (m === 1 && units.has(unitOf(unit, i, inputs, outputs))) {
      mask[i] = 0;
      count++;
    }
  });
  model.setMask(conv.name, mask);
  return count;
}

/** Order 1 by hand: prunes output channels of a conv (their whole filters). */
export function pruneChannels(model: Model, conv: string, channels: readonly number[]): void {
  const [weight] = convsOf(model, [conv], `${model.name}.pruneChannels`);
  const outputs = weight!.shape[3]!;
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 0 || c >= outputs) throw new Error(`${model.name}.pruneChannels: conv '${conv}' has output channels 0 … ${outputs - 1}, not ${c}`);
  }
  zeroUnits(model, weight!, "channel", new Set(channels));
}
