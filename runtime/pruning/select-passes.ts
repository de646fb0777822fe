/**
 * The three passes of radix.ts's selection over segments (values[s], a
 * Float32Array of weights, and masks[s], its mask of 0s and 1s, as every
 * mask of a model holds; ranked: the entries whose mask is 1, keyed by the
 * bits of |w|): natively where the addon has
 * them (kernels/native/select-passes.ts), in JavaScript
 * otherwise — without the addon, with DEEPSTRUCT_NATIVE=0, or with a build
 * from before them. Both give the same counts and switch off the same
 * entries.
 */
import { nativePasses } from "../kernels/native/index.js";

/** Both kinds of passes, for comparing them (test/pruning, bench/pruning.ts). */
export { nativePasses };

export interface SelectPasses {
  /** counts[key >>> 16] += 1 per ranked entry; live[s] = the ranked entries of segment s. */
  histogramHigh(values: readonly Float32Array[], masks: readonly Uint8Array[], counts: Uint32Array, live: Float64Array): void;
  /** counts[key & 0xffff] += 1 per ranked entry whose key >>> 16 is `high`. */
  histogramLow(values: readonly Float32Array[], masks: readonly Uint8Array[], high: number, counts: Uint32Array): void;
  /** Mask 0 at each ranked entry whose key is below `threshold` and at the first `ties` equal to it (segment, then index order); off[s] = how many in segment s. */
  switchOff(values: readonly Float32Array[], masks: readonly Uint8Array[], threshold: number, ties: number, off: Float64Array): void;
}

/** A segment's weights as their bits, the same memory. */
const bitsOf = (values: Float32Array): Uint32Array => new Uint32Array(values.buffer, values.byteOffset, values.length);

export const JS_PASSES: SelectPasses = {
  histogramHigh(values, masks, counts, live) {
    values.forEach((v, s) => {
      const bits = bitsOf(v);
      const mask = masks[s]!;
      let ranked = 0;
      for (let i = 0; i < bits.length; i++) {
        // Added, not branched on (a mask holds 0s and 1s): after a pruning it is on and off at random, and a branch (even
        // `mask[i] !== 0 ? 1 : 0`, which V8 compiles as one) would miss half the time: 47 ms against 13 ms on 10 M.
        const on = mask[i]!;
        counts[(bits[i]! & 0x7fffffff) >>> 16]! += on;
        ranked += on;
      }
      live[s] = ranked;
    });
  },
  histogramLow(values, masks, high, counts) {
    values.forEach((v, s) => {
      const bits = bitsOf(v);
      const mask = masks[s]!;
      for (let i = 0; i < bits.length; i++) {
        const key = bits[i]! & 0x7fffffff;
        // The bucket test first: it is rarely true, while a test of a pruned mask would miss at random.
        if (key >>> 16 === high && mask[i] === 1) counts[key & 0xffff]!++;
      }
    });
  },
  switchOff(values, masks, threshold, ties, off) {
    let left = ties;
    values.forEach((v, s) => {
      const bits = bitsOf(v);
      const mask = masks[s]!;
      let switched = 0;
      for (let i = 0; i < bits.length; i++) {
        const key = bits[i]! & 0x7fffffff;
        const on = mask[i]!;
        if (key === threshold) {
          // Rare, so a branch: the first `ties` equal to the threshold go.
          if (on === 1 && left > 0) {
            left--;
            mask[i] = 0;
            switched++;
          }
          continue;
        }
        // 1 when key < threshold (both below 2^31 + 1, so the difference's sign bit says it), without a branch that misses at random.
        const take = ((key - threshold) >>> 31) & on;
        mask[i] = on ^ take;
        switched += take;
      }
      off[s] = switched;
    });
  },
};

/** The native passes where they run, else the JavaScript ones. */
export function selectPasses(): SelectPasses {
  return nativePasses() ?? JS_PASSES;
}
