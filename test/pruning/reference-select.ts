/**
 * The selection and entry pruning as they were before the segmented ranking
 * (commit 501be9e, runtime/pruning/select.ts and prune.ts pruneEntries): the
 * reference the faster code must match bit for bit.
 */
export function referenceLowest(saliency: Float32Array | Float64Array, count: number): Uint32Array {
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
function kthValue(values: Float32Array | Float64Array, k: number): number {
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
function kthSmallest(values: Float64Array, k: number): number {
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

/** The masks after the old pruneEntries: live entries gathered in block then index order, the lowest `count` of them switched off. */
export function referencePrune(masks: readonly Uint8Array[], saliencies: readonly ArrayLike<number>[], count: number): Uint8Array[] {
  const owners: { block: number; index: number }[] = [];
  masks.forEach((mask, block) => mask.forEach((m, index) => m === 1 && owners.push({ block, index })));
  const candidates = Float64Array.from(owners, ({ block, index }) => saliencies[block]![index]!);
  const after = masks.map((m) => m.slice());
  for (const c of referenceLowest(candidates, Math.min(count, candidates.length))) after[owners[c]!.block]![owners[c]!.index] = 0;
  return after;
}
