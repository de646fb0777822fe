import { describe, expect, it } from "vitest";
import { DataError, shuffleAndSplit, type Dataset } from "../../src/data/index.js";

/** `size` samples whose one feature is their index, labelled index % 3, with targets [index, -index]. */
function numbered(size: number, kind: "classes" | "targets"): Dataset {
  const features = Float32Array.from({ length: size }, (_, i) => i);
  return {
    size,
    featureSize: 1,
    features,
    labels:
      kind === "classes"
        ? { kind, classes: Int32Array.from({ length: size }, (_, i) => i % 3) }
        : { kind, width: 2, values: Float32Array.from({ length: 2 * size }, (_, k) => (k % 2 === 0 ? 1 : -1) * Math.floor(k / 2)) },
  };
}

describe("shuffleAndSplit", () => {
  it("is a seeded permutation: the same split for the same seed, pinned", () => {
    const { train, test } = shuffleAndSplit(numbered(10, "classes"), 3, 42);
    expect(Array.from(train.features)).toEqual([6, 7, 8, 3, 4, 9, 1]);
    expect(Array.from(test.features)).toEqual([0, 5, 2]);
    const again = shuffleAndSplit(numbered(10, "classes"), 3, 42);
    expect(Array.from(again.train.features)).toEqual([6, 7, 8, 3, 4, 9, 1]);
  });

  it("loses and repeats no sample, and keeps each label with its sample", () => {
    const data = numbered(500, "classes");
    const { train, test } = shuffleAndSplit(data, 100, 3);
    expect([train.size, test.size, train.featureSize]).toEqual([400, 100, 1]);
    const all = [...train.features, ...test.features].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(Array.from(train.features.subarray(0, 400))).not.toEqual(Array.from({ length: 400 }, (_, i) => i));
    for (const part of [train, test]) {
      if (part.labels.kind !== "classes") throw new Error("expected classes");
      const classes = part.labels.classes;
      expect(Array.from(part.features, (f) => f % 3)).toEqual(Array.from(classes));
    }
  });

  it("moves rows of targets with their samples", () => {
    const { train } = shuffleAndSplit(numbered(6, "targets"), 2, 1);
    if (train.labels.kind !== "targets") throw new Error("expected targets");
    expect(train.labels.width).toBe(2);
    expect(Array.from(train.labels.values)).toEqual(Array.from(train.features).flatMap((f) => [f, -f]));
  });

  it("gives another split for another seed", () => {
    const a = shuffleAndSplit(numbered(100, "classes"), 20, 1);
    const b = shuffleAndSplit(numbered(100, "classes"), 20, 2);
    expect(Array.from(a.test.features)).not.toEqual(Array.from(b.test.features));
  });

  it("refuses to hold out more samples than there are", () => {
    expect(() => shuffleAndSplit(numbered(5, "classes"), 6, 0)).toThrow("cannot hold out 6 of 5 samples");
    expect(() => shuffleAndSplit(numbered(5, "classes"), 1.5, 0)).toThrow("cannot hold out 1.5 of 5 samples");
  });
});

describe("DataError", () => {
  it("formats as file:line:col: error: message, leaving out what is unknown", () => {
    expect(new DataError("bad", "a.csv", 3, 7).format()).toBe("a.csv:3:7: error: bad");
    expect(new DataError("bad", "a.csv", 3).format()).toBe("a.csv:3: error: bad");
    expect(new DataError("bad", "a.csv").format()).toBe("a.csv: error: bad");
    expect(new DataError("bad", "a.csv")).toBeInstanceOf(Error);
  });
});
