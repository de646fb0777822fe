import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { loadMnist, mnistSplit, type Dataset } from "../../src/data/index.js";

/** The classes of a dataset that has them. */
function classesOf(data: Dataset): Int32Array {
  if (data.labels.kind !== "classes") throw new Error("expected class labels");
  return data.labels.classes;
}

/** Exact equality of two typed arrays, by their bytes: toEqual takes half a minute on 6 million floats. */
function sameValues(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** One string per image, to compare sets of images. */
function imageKeys(data: Dataset): string[] {
  return Array.from({ length: data.size }, (_, i) => data.features.subarray(i * 784, (i + 1) * 784).join(","));
}

describe("the embedded MNIST digits", () => {
  const data = loadMnist();

  it("are 10,000 images of 784 pixels in [0, 1]", () => {
    expect(data.size).toBe(10_000);
    expect(data.featureSize).toBe(784);
    expect(data.features.length).toBe(10_000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.features) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it("hold about 1,000 of each digit, these exact counts", () => {
    const counts = new Array<number>(10).fill(0);
    for (const c of classesOf(data)) counts[c]!++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(counts.every((n) => n >= 700 && n <= 1300)).toBe(true);
  });

  it("come digit by digit, each in the package's own order", () => {
    const mnist = createRequire(import.meta.url)("mnist") as { get(which: number): number[] }[];
    const image = (i: number): number[] => Array.from(data.features.subarray(i * 784, (i + 1) * 784));
    expect(image(0)).toEqual(mnist[0]!.get(0).map(Math.fround));
    expect(image(1000)).toEqual(mnist[0]!.get(1000).map(Math.fround));
    expect(image(1001)).toEqual(mnist[1]!.get(0).map(Math.fround));
    expect(image(9999)).toEqual(mnist[9]!.get(977).map(Math.fround));
    expect([classesOf(data)[1000], classesOf(data)[1001], classesOf(data)[9999]]).toEqual([0, 1, 9]);
  });

  it("are loaded once per process", () => {
    expect(loadMnist()).toBe(data);
  });

  it("split into 8,000 to train on and 2,000 held out, the same every time", () => {
    const a = mnistSplit();
    const b = mnistSplit();
    expect([a.train.size, a.test.size]).toEqual([8000, 2000]);
    expect(sameValues(a.test.features, b.test.features)).toBe(true);
    expect(sameValues(a.train.features, b.train.features)).toBe(true);
    expect(sameValues(classesOf(a.test), classesOf(b.test))).toBe(true);
    expect(sameValues(a.test.features, a.train.features.subarray(0, 2000 * 784))).toBe(false);
    // Pinned: a change of the split seed would silently change every held-out accuracy.
    expect(Array.from(classesOf(a.train).subarray(0, 12))).toEqual([8, 3, 6, 3, 0, 6, 0, 1, 4, 3, 0, 7]);
    expect(Array.from(classesOf(a.test).subarray(0, 12))).toEqual([0, 9, 1, 8, 2, 9, 3, 6, 5, 7, 9, 1]);
  });

  it("split into disjoint parts that together are all the digits (the package has no duplicate images)", () => {
    const { train, test } = mnistSplit();
    const all = imageKeys(data);
    expect(new Set(all).size).toBe(10_000);
    const trainKeys = new Set(imageKeys(train));
    expect(trainKeys.size).toBe(8000);
    expect(imageKeys(test).filter((key) => trainKeys.has(key))).toEqual([]);
    expect([...imageKeys(train), ...imageKeys(test)].sort()).toEqual(all.sort());
  });
});
