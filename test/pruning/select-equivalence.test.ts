import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prune, type Model } from "../../runtime/index.js";
import { createRandom } from "../../runtime/random.js";
import { nativeStatus } from "../../runtime/kernels/native/load.js";
import { switchOffLowestMagnitudes } from "../../runtime/pruning/radix.js";
import { JS_PASSES, nativePasses, type SelectPasses } from "../../runtime/pruning/select-passes.js";
import { kthValue, lowest, lowestCut, switchOffCut } from "../../runtime/pruning/select.js";
import { buildModel } from "../support/models.js";
import { referenceLowest, referencePrune } from "./reference-select.js";

/** Values from a few levels (many ties) or spread wide, as Float64Array or Float32Array. */
const values = fc.oneof(
  fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 300 }).map((a) => Float64Array.from(a, (v) => v / 7)),
  fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 300 }).map((a) => Float64Array.from(a)),
  fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { maxLength: 300 }).map((a) => Float32Array.from(a)),
);

describe("the segmented selection against the one it replaced", () => {
  it("lowest picks the same indices for every count, on tied and spread values", () => {
    fc.assert(
      fc.property(values, fc.double({ min: 0, max: 1.2, noNaN: true }), (v, share) => {
        const count = Math.floor(share * v.length);
        expect(Array.from(lowest(v, count))).toEqual(Array.from(referenceLowest(v, count)));
      }),
      { numRuns: 400 },
    );
  });

  it("kthValue is a sort's k-th value", () => {
    fc.assert(
      fc.property(
        values.filter((v) => v.length > 0),
        fc.nat(),
        (v, k) => {
          const at = k % v.length;
          expect(kthValue(v, at)).toBe(Float64Array.from(v).sort()[at]);
        },
      ),
    );
  });

  it("a cut over masked segments switches off what the old gather-then-select did", () => {
    const segment = values.chain((v) => fc.array(fc.constantFrom(0, 1), { minLength: v.length, maxLength: v.length }).map((m) => ({ values: v, mask: Uint8Array.from(m) })));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.nat(), (segments, draw) => {
        const live = segments.reduce((n, s) => n + s.mask.reduce((a, b) => a + b, 0), 0);
        const count = draw % (live + 1);
        fc.pre(count > 0 && count < live);
        const expected = referencePrune(
          segments.map((s) => s.mask),
          segments.map((s) => s.values),
          count,
        );
        const off = switchOffCut(segments, lowestCut(segments, count));
        expect(segments.map((s) => Array.from(s.mask))).toEqual(expected.map((m) => Array.from(m)));
        expect(off.reduce((a, b) => a + b, 0)).toBe(count);
      }),
      { numRuns: 400 },
    );
  });
});

/** Weights as float32: a few levels of both signs (ties, −0 and +0), spread wide with infinities, or tiny (subnormals). */
const weights = fc.oneof(
  fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 300, size: "medium" }).map((a) => Float32Array.from(a, (v, i) => (v === 0 && i % 2 === 1 ? -0 : v / 7))),
  fc.array(fc.float({ noNaN: true }), { maxLength: 300, size: "medium" }).map((a) => Float32Array.from(a)),
  fc.array(fc.float({ min: Math.fround(-1e-38), max: Math.fround(1e-38), noNaN: true }), { maxLength: 300, size: "medium" }).map((a) => Float32Array.from(a)),
);
const weightSegment = weights.chain((v) => fc.array(fc.constantFrom(0, 1), { minLength: v.length, maxLength: v.length }).map((m) => ({ values: v, mask: Uint8Array.from(m) })));

/** The radix selection's passes to check: JavaScript always, the native ones where the addon is built (npm run build:native; CI builds it). */
const passSets: [string, SelectPasses | undefined][] = [
  ["JavaScript", JS_PASSES],
  ["native", nativePasses()],
];

describe.each(passSets)("the radix selection of magnitudes on its %s passes", (name, passes) => {
  it.skipIf(passes === undefined)("switches off the entries the old gather-then-select of |w| did, for every count", () => {
    expect(name !== "native" || nativeStatus().available).toBe(true);
    let tiesSplit = 0;
    fc.assert(
      // The count drawn as an integer over 0 … live: a share drawn as a double sits mostly at the ends (0, all).
      fc.property(fc.array(weightSegment, { minLength: 1, maxLength: 4 }), fc.nat(), (segments, draw) => {
        const live = segments.map((s) => s.mask.reduce((a, b) => a + b, 0));
        const count = draw % (live.reduce((a, b) => a + b, 0) + 1);
        const magnitudes = segments.map((s) => Array.from(s.values, Math.abs));
        const expected = referencePrune(
          segments.map((s) => s.mask),
          magnitudes,
          count,
        );
        const masks = segments.map((s) => s.mask.slice());
        const selection = switchOffLowestMagnitudes(
          segments.map((s) => s.values),
          masks,
          () => count,
          passes,
        );
        if ("nan" in selection) throw new Error("no NaN was drawn");
        expect(masks.map((m) => Array.from(m))).toEqual(expected.map((m) => Array.from(m)));
        expect(Array.from(selection.live)).toEqual(live);
        expect(Array.from(selection.off)).toEqual(masks.map((m, k) => live[k]! - m.reduce((a, b) => a + b, 0)));
        if (splitsTies(masks, segments, magnitudes)) tiesSplit++;
      }),
      { numRuns: 400 },
    );
    // The cases that tell a tie rule from another: some entries equal to the threshold pruned, some kept.
    expect(tiesSplit).toBeGreaterThan(40);
  });

  it.skipIf(passes === undefined)("names the first live NaN instead of ranking it, and leaves the masks alone", () => {
    const values = [Float32Array.of(0.5, Number.NaN, 0.25), Float32Array.of(1, 2, Number.NaN, 3)];
    const masks = [Uint8Array.of(1, 0, 1), Uint8Array.of(1, 1, 1, 1)];
    expect(switchOffLowestMagnitudes(values, masks, () => 2, passes)).toEqual({ nan: { segment: 1, index: 2 } });
    expect(masks.map((m) => Array.from(m))).toEqual([
      [1, 0, 1],
      [1, 1, 1, 1],
    ]);
  });
});

describe("the native passes' boundary", () => {
  const passes = nativePasses();
  it.skipIf(passes === undefined)("refuses segments and outputs of the wrong kind or length, before reading them", () => {
    const values = [Float32Array.of(1, 2, 3)];
    const counts = new Uint32Array(65536);
    expect(() => passes!.histogramHigh(values, [Uint8Array.of(1, 1)], counts, new Float64Array(1))).toThrow(
      /segment 0 needs a Float32Array of values and a Uint8Array mask of its length/,
    );
    expect(() => passes!.histogramHigh([Float64Array.of(1, 2, 3) as unknown as Float32Array], [Uint8Array.of(1, 1, 1)], counts, new Float64Array(1))).toThrow(/segment 0/);
    expect(() => passes!.histogramHigh(values, [], counts, new Float64Array(1))).toThrow(/two arrays of as many segments/);
    expect(() => passes!.histogramHigh(values, [Uint8Array.of(1, 1, 1)], new Uint32Array(10), new Float64Array(1))).toThrow(/counts must be a Uint32Array of 65536/);
    expect(() => passes!.histogramLow(values, [Uint8Array.of(1, 1, 1)], 65536, counts)).toThrow(/high must be an integer in \[0, 65536\)/);
    expect(() => passes!.switchOff(values, [Uint8Array.of(1, 1, 1)], 2 ** 31 + 1, 0, new Float64Array(1))).toThrow(/threshold must be an integer in \[0, 2\^31\]/);
    expect(() => passes!.switchOff(values, [Uint8Array.of(1, 1, 1)], 0, 0, new Float64Array(2))).toThrow(/one entry per segment/);
    expect(counts.every((c) => c === 0)).toBe(true);
  });
});

/** Whether the largest magnitude switched off is also held by a live entry that stays on. */
function splitsTies(after: readonly Uint8Array[], before: readonly { mask: Uint8Array }[], magnitudes: readonly number[][]): boolean {
  let threshold = -1;
  after.forEach((m, k) => m.forEach((on, i) => before[k]!.mask[i] === 1 && on === 0 && (threshold = Math.max(threshold, magnitudes[k]![i]!))));
  return after.some((m, k) => m.some((on, i) => on === 1 && magnitudes[k]![i] === threshold));
}

describe("prune() against the old entry pruning", () => {
  const source = "network P { input 12 dense [9, 7] output 3 }";

  /** Weights from 5 levels (ties everywhere) and a third of the entries already pruned, from the seed. */
  function prepare(model: Model, seed: number): void {
    const random = createRandom(seed);
    for (const b of model.blocks) {
      const size = b.sourceSize * b.targetSize;
      model.setWeights(
        b.name,
        Array.from({ length: size }, () => (random.int(5) - 2) / 8),
      );
      model.setMask(
        b.name,
        Array.from({ length: size }, () => (random.next() < 0.33 ? 0 : 1)),
      );
    }
  }

  it("magnitude and a user's tied saliency, by percent and count, prune the same entries", async () => {
    const model = await buildModel(source, { backend: "cpu", seed: 0 });
    for (let seed = 0; seed < 6; seed++) {
      const amounts: ({ percent: number } | { count: number })[] = [{ percent: 10 }, { percent: 50 }, { percent: 90 }, { count: 17 }, { count: 10_000 }];
      for (const amount of amounts) {
        prepare(model, seed);
        const masks = model.blocks.map((b) => model.getMask(b.name));
        const random = createRandom(100 + seed);
        const user = Object.fromEntries(model.blocks.map((b) => [b.name, Array.from({ length: b.sourceSize * b.targetSize }, () => random.int(3))]));
        const saliency = seed % 2 === 0 ? undefined : user;
        const ranked = model.blocks.map((b) => (saliency === undefined ? model.getWeights(b.name).map(Math.abs) : saliency[b.name]!));
        const live = masks.reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0);
        const count = "count" in amount ? amount.count : Math.floor((amount.percent / 100) * live);
        const expected = referencePrune(masks, ranked, count);
        const result = prune(model, { amount, ...(saliency === undefined ? {} : { saliency }) });
        expect(model.blocks.map((b) => Array.from(model.getMask(b.name)))).toEqual(expected.map((m) => Array.from(m)));
        expect(result.pruned).toBe(Math.min(count, live));
      }
    }
    model.dispose();
  });
});
