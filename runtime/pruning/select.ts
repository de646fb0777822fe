/**
 * Choosing the connections to prune: the `count` lowest saliencies, with ties
 * broken by position (a lower candidate index is pruned first), in time
 * linear in the candidates (a histogram, then quickselect inside one of its
 * buckets), not a full sort. The ranking runs over segments — several arrays
 * ranked as one sequence, each with the mask of its entries in the ranking —
 * so prune() ranks the live entries of its weights where they lie, without
 * gathering them into one array first.
 */

/** Values ranked as one sequence, in segment order: the entries whose mask is 1 (no mask: every entry). */
export interface Segment {
  readonly values: Float32Array | Float64Array;
  readonly mask?: Uint8Array;
}

/** A segment whose mask is given (what prune() ranks and switches off). */
export type MaskedSegment = Segment & { readonly mask: Uint8Array };

/** Where the lowest `count` end: every ranked value below `threshold`, and the first `ties` (in sequence order) equal to it. */
export interface Cut {
  readonly threshold: number;
  readonly ties: number;
}

const BUCKETS = 65536;

/** The indices of the `count` lowest values, ties by position, ascending. */
export function lowest(saliency: Float32Array | Float64Array, count: number): Uint32Array {
  const n = saliency.length;
  if (count <= 0) return new Uint32Array(0);
  if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const { threshold, ties } = lowestCut([{ values: saliency }], count);
  const chosen = new Uint32Array(count);
  let next = 0;
  let left = ties;
  for (let i = 0; i < n && next < count; i++) {
    const s = saliency[i]!;
    if (s < threshold) chosen[next++] = i;
    else if (s === threshold && left > 0) {
      chosen[next++] = i;
      left--;
    }
  }
  return chosen;
}

/**
 * The cut of the `count` lowest ranked values of `segments` (0 < count <
 * ranked values): the count-th smallest value and how many equal to it are
 * taken. The bucket of a value is monotone in it, so every value of a lower
 * bucket than the threshold's is below it — the count below comes from the
 * histogram and the threshold's bucket, without another pass.
 */
export function lowestCut(segments: readonly Segment[], count: number, range: RankedRange = rankedRange(segments)): Cut {
  const { min, max } = range;
  if (min === max) return { threshold: min, ties: count };
  const scale = (BUCKETS - 1) / (max - min);
  const counts = histogram(segments, min, scale);
  const k = count - 1;
  let bucket = 0;
  let before = 0;
  while (before + counts[bucket]! <= k) before += counts[bucket++]!;
  const inside = bucketValues(segments, min, scale, bucket, counts[bucket]!);
  const threshold = kthSmallest(inside, k - before);
  let below = before;
  for (let i = 0; i < inside.length; i++) if (inside[i]! < threshold) below++;
  return { threshold, ties: count - below };
}

/**
 * Switches off the entries `cut` takes: in each segment's mask, 0 at every
 * ranked entry below the threshold and at the first `ties` equal to it.
 * @returns how many entries it switched off in each segment.
 */
export function switchOffCut(segments: readonly MaskedSegment[], cut: Cut): number[] {
  const { threshold } = cut;
  let ties = cut.ties;
  return segments.map(({ values, mask }) => {
    let off = 0;
    for (let i = 0; i < values.length; i++) {
      if (mask[i] === 0) continue;
      const v = values[i]!;
      if (v < threshold || (v === threshold && ties-- > 0)) {
        mask[i] = 0;
        off++;
      }
    }
    return off;
  });
}

/** The ranked values' smallest and largest, and how many are ranked. */
export interface RankedRange {
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

export function rankedRange(segments: readonly Segment[]): RankedRange {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  for (const { values, mask } of segments) {
    for (let i = 0; i < values.length; i++) {
      if (mask !== undefined && mask[i] === 0) continue;
      count++;
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max, count };
}

function histogram(segments: readonly Segment[], min: number, scale: number): Uint32Array {
  const counts = new Uint32Array(BUCKETS);
  for (const { values, mask } of segments) {
    for (let i = 0; i < values.length; i++) {
      if (mask !== undefined && mask[i] === 0) continue;
      counts[((values[i]! - min) * scale) | 0]!++;
    }
  }
  return counts;
}

function bucketValues(segments: readonly Segment[], min: number, scale: number, bucket: number, size: number): Float64Array {
  const inside = new Float64Array(size);
  let next = 0;
  for (const { values, mask } of segments) {
    for (let i = 0; i < values.length; i++) {
      if (mask !== undefined && mask[i] === 0) continue;
      if ((((values[i]! - min) * scale) | 0) === bucket) inside[next++] = values[i]!;
    }
  }
  return inside;
}

/**
 * The lowest saliencies whose sum stays within `budget` (the "bucket"
 * strategy): candidates in ascending saliency (ties by position) until the
 * next one would overflow the budget.
 */
export function withinBudget(saliency: Float32Array | Float64Array, budget: number): Uint32Array {
  const order = Uint32Array.from({ length: saliency.length }, (_, i) => i).sort((a, b) => saliency[a]! - saliency[b]! || a - b);
  let sum = 0;
  let taken = 0;
  for (const i of order) {
    if (sum + saliency[i]! > budget) break;
    sum += saliency[i]!;
    taken++;
  }
  return order.slice(0, taken).sort();
}

/** The k-th smallest value (0-based) without reordering `values`. */
export function kthValue(values: Float32Array | Float64Array, k: number): number {
  return lowestCut([{ values }], k + 1).threshold;
}

/** The k-th smallest value (0-based) by Hoare-partition quickselect with median-of-three pivots; reorders `values`. */
export function kthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const pivot = medianOfThree(values[lo]!, values[mid]!, values[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

function medianOfThree(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
