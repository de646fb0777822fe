import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prune, type Model } from "../../runtime/index.js";
import { createRandom } from "../../runtime/random.js";
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
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), (segments, share) => {
        const live = segments.reduce((n, s) => n + s.mask.reduce((a, b) => a + b, 0), 0);
        const count = Math.floor(share * live);
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
