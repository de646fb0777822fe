/**
 * Units of pruning: what is ranked and removed whole. `weight` is one entry
 * (order 0); the order-1 units group a weight's entries:
 *
 * - `kernel`: one input × output channel kernel of a conv (rows × cols taps);
 * - `channel`: a conv's whole output channel (its filter; a channel with no
 *   live weight is then not computed, features/pruned-maps.ts);
 * - `neuron`: a neuron of a dense layer (its incoming weights, from every
 *   block entering the layer) or a hidden neuron of a recurrent layer (its
 *   incoming input and hidden weights across every gate, both weights together);
 *
 * and the order-2 units take a whole matrix or layer:
 *
 * - `gate`: one gate of a recurrent layer, its columns [g · hidden,
 *   (g + 1) · hidden) in both the input and the hidden weight (an rnn has 1,
 *   a gru 3: reset, update, candidate, an lstm 4: input, forget, cell,
 *   output). The gate stays and its bias stays: a pruned lstm forget gate
 *   computes f = σ(b_f) at every step, a constant, not f = 0;
 * - `layer`: a layer's incoming weights as one unit: a dense layer's incoming
 *   blocks together, a conv, a recurrent layer's two weights. A pruned dense
 *   layer computes its activation of its bias alone.
 *
 * A unit belongs to a layer (PrunableWeight.layer) and is numbered within it;
 * its saliency is the sum of its live entries' (for magnitude: its L1 norm),
 * as deepstruct's structured pruning sums a group's saliencies; a unit is live
 * while one of its entries is. Under magnitude the sum favours pruning small
 * layers and narrow gates first (fewer entries, smaller sum). Ties are broken
 * by position: the earlier layer, then the lower unit number.
 */
import type { Model } from "../model.js";
import type { PruneUnit } from "../spec.js";
import { lowest, withinBudget } from "./select.js";
import type { PrunableWeight } from "./weights.js";

export type { PruneUnit } from "../spec.js";

export const PRUNE_UNITS: readonly PruneUnit[] = ["weight", "kernel", "channel", "neuron", "gate", "layer"];

/** The kinds of weight each unit groups. */
export const UNIT_FITS: Readonly<Record<PruneUnit, readonly PrunableWeight["kind"][]>> = {
  weight: ["dense", "conv", "recurrent"],
  kernel: ["conv"],
  channel: ["conv"],
  neuron: ["dense", "recurrent"],
  gate: ["recurrent"],
  layer: ["dense", "conv", "recurrent"],
};

export function fitsUnit(unit: PruneUnit, weight: PrunableWeight): boolean {
  return UNIT_FITS[unit].includes(weight.kind);
}

/** How many units of `unit` a weight's layer has, and the unit of each entry (row-major in the mask's shape). */
export function unitIndexer(unit: PruneUnit, weight: PrunableWeight): { readonly count: number; readonly of: (entry: number) => number } {
  if (unit === "weight") return { count: weight.size, of: (i) => i };
  if (unit === "layer") return { count: 1, of: () => 0 };
  const columns = weight.shape.at(-1)!;
  // A recurrent weight's columns are `gates` blocks of `neurons` (hidden) columns each: gate g is block g.
  if (unit === "gate") return { count: columns / weight.neurons, of: (i) => Math.floor((i % columns) / weight.neurons) };
  if (unit === "kernel") {
    const inputs = weight.shape[2]!;
    return { count: inputs * columns, of: (i) => (Math.floor(i / columns) % inputs) * columns + (i % columns) };
  }
  // The last axis holds the neurons (a recurrent weight's: gate after gate of them), so the neuron is the entry's column modulo their count.
  const neurons = weight.neurons;
  return { count: neurons, of: (i) => i % neurons };
}

/** One layer's units: each one's summed saliency over its live entries, and whether it is live. */
interface LayerUnits {
  readonly weights: readonly PrunableWeight[];
  readonly sums: Float64Array;
  readonly live: Uint8Array;
}

/** The units of `weights` grouped by layer, layers in the order of their first weight. */
function unitsByLayer(model: Model, weights: readonly PrunableWeight[], unit: PruneUnit, saliency?: ReadonlyMap<string, ArrayLike<number>>): LayerUnits[] {
  const layers = new Map<string, LayerUnits>();
  for (const weight of weights) {
    const { count, of } = unitIndexer(unit, weight);
    const known = layers.get(weight.layer);
    const entry = known ?? { weights: [], sums: new Float64Array(count), live: new Uint8Array(count) };
    (entry.weights as PrunableWeight[]).push(weight);
    layers.set(weight.layer, entry);
    const s = saliency?.get(weight.name);
    const mask = model.getMask(weight.name);
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) continue;
      const u = of(i);
      entry.live[u] = 1;
      if (s !== undefined) entry.sums[u]! += s[i]!;
    }
  }
  return [...layers.values()];
}

/** Live and total units of `weights`. */
export function unitCounts(model: Model, weights: readonly PrunableWeight[], unit: PruneUnit): { live: number; total: number } {
  let [live, total] = [0, 0];
  for (const layer of unitsByLayer(model, weights, unit)) {
    total += layer.live.length;
    for (const l of layer.live) live += l;
  }
  return { live, total };
}

/** How many of `candidates` to prune: a count or percentage of them, or the lowest within a saliency budget. */
export type UnitAmount = { readonly percent: number } | { readonly count: number } | { readonly budget: number };

/**
 * Prunes the lowest-saliency live units of `weights` ranked together, and
 * returns how many live entries that switched off.
 */
export function pruneUnits(model: Model, weights: readonly PrunableWeight[], unit: PruneUnit, saliency: ReadonlyMap<string, ArrayLike<number>>, amount: UnitAmount): number {
  const layers = unitsByLayer(model, weights, unit, saliency);
  const owners: { layer: number; unit: number }[] = [];
  layers.forEach((layer, k) => layer.live.forEach((l, u) => l === 1 && owners.push({ layer: k, unit: u })));
  const candidates = Float64Array.from(owners, (o) => layers[o.layer]!.sums[o.unit]!);
  const chosen =
    "budget" in amount
      ? withinBudget(candidates, amount.budget)
      : lowest(candidates, "count" in amount ? Math.min(amount.count, candidates.length) : Math.floor((amount.percent / 100) * candidates.length));
  const dropped = layers.map(() => new Set<number>());
  for (const c of chosen) dropped[owners[c]!.layer]!.add(owners[c]!.unit);
  let pruned = 0;
  layers.forEach((layer, k) => {
    for (const weight of layer.weights) pruned += zeroUnits(model, weight, unit, dropped[k]!);
  });
  return pruned;
}

/** Switches off every entry of `units` in a weight's mask; returns how many live entries that was. */
export function zeroUnits(model: Model, weight: PrunableWeight, unit: PruneUnit, units: ReadonlySet<number>): number {
  if (units.size === 0) return 0;
  const { of } = unitIndexer(unit, weight);
  const mask = model.getMask(weight.name);
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 1 && units.has(of(i))) {
      mask[i] = 0;
      count++;
    }
  }
  model.setMask(weight.name, mask);
  return count;
}
