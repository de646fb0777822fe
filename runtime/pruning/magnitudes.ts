/**
 * Pruning single connections by magnitude, by a count or a percentage of the
 * live ones (what prune() does by default, and what schedules ask for most):
 * the lowest |w| switched off on each dense block's weights and mask where
 * the model stores them (in-place.ts), ranked by radix.ts's exact selection —
 * the same entries as select.ts's ranking of copied |w| values, ties by
 * position, without the copies out and back.
 */
import type { Model } from "../model.js";
import { storedBlockOf, storedFloats } from "./in-place.js";
import { switchOffLowestMagnitudes } from "./radix.js";
import { readWeights, type PrunableWeight } from "./weights.js";

export type CountOrPercent = { readonly count: number } | { readonly percent: number };

/** How many of `live` entries an amount by count or percentage prunes. */
export function countOf(amount: CountOrPercent, live: number): number {
  return "count" in amount ? Math.min(amount.count, live) : Math.floor((amount.percent / 100) * live);
}

/**
 * Prunes the lowest-|w| live entries of `weights` ranked together
 * (radix.ts), on each dense block's weights and mask in place where the
 * model lets pruning at them (in-place.ts), on copies otherwise; returns how
 * many, and leaves each weight's live entries after it in `liveAfter`.
 * @throws Error for a live weight that is NaN, which has no rank.
 */
export function pruneMagnitudes(model: Model, weights: readonly PrunableWeight[], amount: CountOrPercent, liveAfter: Map<string, number>, where: string): number {
  const segments = magnitudeSegments(model, weights);
  const selection = switchOffLowestMagnitudes(
    segments.map((s) => s.values),
    segments.map((s) => s.mask),
    (live) => countOf(amount, live),
  );
  if ("nan" in selection) {
    const { segment, index } = selection.nan;
    throw new Error(`${where}: weight '${weights[segment]!.name}' is NaN at entry ${index}; magnitude pruning cannot rank it (did training diverge?)`);
  }
  segments.forEach((segment, k) => {
    if (selection.off[k]! > 0) segment.changed();
    liveAfter.set(weights[k]!.name, selection.live[k]! - selection.off[k]!);
  });
  return selection.off.reduce((a, b) => a + b, 0);
}

/** Each weight's values and mask to rank, and what to call once its mask was written. */
function magnitudeSegments(model: Model, weights: readonly PrunableWeight[]): { values: Float32Array; mask: Uint8Array; changed: () => void }[] {
  const stored = weights.map((w) => (w.kind === "dense" ? storedBlockOf(model, w.name) : undefined));
  // Copies first: reading a conv's or recurrent weight may allocate, and on WASM that may move the heap the in-place views look at.
  const copies = weights.map((w, k) => {
    if (stored[k] !== undefined) return undefined;
    const mask = model.getMask(w.name);
    return { values: readWeights(model, w), mask, changed: () => model.setMask(w.name, mask) };
  });
  return weights.map((_, k) => {
    const block = stored[k];
    if (block === undefined) return copies[k]!;
    return { values: storedFloats(block.weight).subarray(block.first, block.first + block.live.length), mask: block.live, changed: block.changed };
  });
}
