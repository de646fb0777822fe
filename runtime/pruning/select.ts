/**
 * Choosing the connections to prune: the `count` lowest saliencies, with ties
 * broken by position (a lower candidate index is pruned first), in time
 * linear in the candidates (quickselect), not a full sort.
 */
export function lowest(saliency: Float32Array | Float64Array, count: number): Uint32Array {
  const n = saliency.length;
  if (count <= 0) return new Uint32Array(0);
  if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const threshold = kthValue(saliency, count - 1);
  let below = 0;
  for (let i = 0; i < n; i++) if (saliency[i]! < threshold) below++;
  const chosen = new Uint32Array(count);
  let next = 0;
  let ties = count - below;
  for (let i = 0; i < n && next < count; i++) {
    const s = saliency[i]!;
    if (s < threshold) chosen[next++] = i;
    else if (s === threshold && ties > 0) {
      chosen[next++] = i;
      ties--;
    }
  }
  return chosen;
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

/**
 * The k-th smallest value (0-based) without reordering `values`: a histogram
 * of 65,536 buckets between the minimum and the maximum finds the bucket that
 * holds it in two passes, and quickselect finishes inside that bucket only.
 */
export function kthValue(values: Float32Array | Float64Array, k: number): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return min;
  const buckets = 65536;
  const scale = (buckets - 1) / (max - min);
  const counts = new Uint32Array(buckets);
  for (let i = 0; i < values.length; i++) counts[((values[i]! - min) * scale) | 0]!++;
  let bucket = 0;
  let before = 0;
  while (before + counts[bucket]! <= k) before += counts[bucket++]!;
  const inside = new Float64Array(counts[bucket]!);
  let next = 0;
  for (let i = 0; i < values.length; i++) if ((((values[i]! - min) * scale) | 0) === bucket) inside[next++] = values[i]!;
  return kthSmallest(inside, k - before);
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
