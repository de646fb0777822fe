import { describe, expect, it } from "vitest";
import { loadMnist, mnistSplit } from "../../src/data/index.js";

describe("the embedded MNIST digits", () => {
  const data = loadMnist();

  it("are 10,000 images of 784 pixels in [0, 1], about 1,000 of each digit", () => {
    expect(data.size).toBe(10_000);
    expect(data.featureSize).toBe(784);
    expect(data.features.length).toBe(10_000 * 784);
    expect(Math.min(...data.features.subarray(0, 784 * 50))).toBe(0);
    expect(Math.max(...data.features.subarray(0, 784 * 50))).toBeLessThanOrEqual(1);
    if (data.labels.kind !== "classes") throw new Error("MNIST has class labels");
    const counts = new Array<number>(10).fill(0);
    for (const c of data.labels.classes) counts[c]!++;
    expect(counts.every((n) => n > 700 && n < 1300)).toBe(true);
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
  });

  it("split into 8,000 to train on and 2,000 held out, the same every time, no digit in both", () => {
    const a = mnistSplit();
    const b = mnistSplit();
    expect([a.train.size, a.test.size]).toEqual([8000, 2000]);
    expect(a.test.features).toEqual(b.test.features);
    const key = (f: Float32Array, i: number): string => f.subarray(i * 784, i * 784 + 784).join(",");
    const train = new Set(Array.from({ length: 8000 }, (_, i) => key(a.train.features, i)));
    let shared = 0;
    for (let i = 0; i < 2000; i++) if (train.has(key(a.test.features, i))) shared++;
    expect(shared).toBeLessThan(5); // the package itself holds a few identical images
  });
});
