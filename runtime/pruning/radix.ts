/**
 * Magnitude pruning's selection: the `count` lowest |w| among the live
 * entries of several weights ranked as one sequence, ties broken by position
 * (earlier segment, then lower index, pruned first) — the entries select.ts
 * lowestCut and switchOffCut choose, found by a radix select on the bits of
 * |w| instead of a histogram of values and a quickselect.
 *
 * A non-negative float's bits, read as an unsigned integer, order as the
 * float does, so an entry's key is its weight's bits without the sign (−0
 * and +0 both 0) and the selection is exact: a histogram of the keys' high
 * 16 bits finds the bucket of the count-th lowest, a histogram of the low 16
 * bits inside that bucket finds its key, and a last pass switches off every
 * entry below it and the first ties equal to it. Three passes over the
 * weights where they lie, each a plain loop, no copy and no sort; the passes
 * run natively where the addon has them (native/select.c) and in JavaScript
 * otherwise (select-passes.ts), with the same result.
 */
import { selectPasses, type SelectPasses } from "./select-passes.js";

const BUCKETS = 65536;
/** Keys from this high bucket on are NaN or infinite (an exponent of all ones). */
const NON_FINITE_HIGH = 0x7f80;
/** A threshold above every finite key: switches off every live entry. */
const ABOVE_ALL = 0x80000000;

/** What was switched off and what was live before, per segment; or the first NaN found (which has no rank). */
export type MagnitudeSelection = { readonly off: Float64Array; readonly live: Float64Array } | { readonly nan: { readonly segment: number; readonly index: number } };

/**
 * Switches off, in `masks`, the `count(live)` lowest-|w| live entries of
 * `values` (segment by segment: values[s] and masks[s] of one length), live
 * the entries whose mask is 1 (masks hold 0s and 1s), ties by position.
 */
export function switchOffLowestMagnitudes(
  values: readonly Float32Array[],
  masks: readonly Uint8Array[],
  count: (live: number) => number,
  passes: SelectPasses = selectPasses(),
): MagnitudeSelection {
  const high = new Uint32Array(BUCKETS);
  const live = new Float64Array(values.length);
  passes.histogramHigh(values, masks, high, live);
  const nan = firstNaN(values, masks, high);
  if (nan !== undefined) return { nan };
  const total = live.reduce((a, b) => a + b, 0);
  const wanted = count(total);
  const off = new Float64Array(values.length);
  if (wanted <= 0) return { off, live };
  if (wanted >= total) {
    passes.switchOff(values, masks, ABOVE_ALL, 0, off);
    return { off, live };
  }
  // The wanted-th lowest key: its high bucket, then its low half inside that bucket.
  const [bucket, belowBucket] = bucketOf(high, wanted - 1);
  const low = new Uint32Array(BUCKETS);
  passes.histogramLow(values, masks, bucket, low);
  const [lowBucket, belowKey] = bucketOf(low, wanted - 1 - belowBucket);
  passes.switchOff(values, masks, bucket * BUCKETS + lowBucket, wanted - belowBucket - belowKey, off);
  return { off, live };
}

/** The bucket holding the rank-th lowest (0-based) of `counts`, and how many lie in the buckets below it. */
function bucketOf(counts: Uint32Array, rank: number): [number, number] {
  let bucket = 0;
  let below = 0;
  while (below + counts[bucket]! <= rank) below += counts[bucket++]!;
  return [bucket, below];
}

/**
 * The first live NaN, when the high histogram shows a key of an all-ones
 * exponent (rare: a diverged training); infinities rank, as the largest.
 */
function firstNaN(values: readonly Float32Array[], masks: readonly Uint8Array[], high: Uint32Array): { segment: number; index: number } | undefined {
  if (!high.subarray(NON_FINITE_HIGH).some((n) => n > 0)) return undefined;
  for (let segment = 0; segment < values.length; segment++) {
    const index = values[segment]!.findIndex((v, i) => masks[segment]![i] !== 0 && Number.isNaN(v));
    if (index >= 0) return { segment, index };
  }
  return undefined;
}
