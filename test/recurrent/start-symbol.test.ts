import { describe, expect, it } from "vitest";
import { startSymbol } from "../../runtime/index.js";
import { loadData, START_SYMBOL } from "../../src/data/index.js";

describe("the start-symbol task", () => {
  it("holds sequences s, s+1, … of 1 to steps values padded with zeros, labelled s", () => {
    const data = startSymbol({ samples: 500, classes: 7, steps: 9, seed: 3 });
    expect([data.size, data.featureSize]).toEqual([500, 9]);
    if (data.labels.kind !== "classes") throw new Error("expected classes");
    const lengths = new Set<number>();
    const symbols = new Set<number>();
    for (let i = 0; i < data.size; i++) {
      const row = Array.from(data.features.subarray(i * 9, (i + 1) * 9));
      const s = data.labels.classes[i]!;
      symbols.add(s);
      // The length: one past the last step that holds s + t (s = 0 makes step 0 a zero too).
      const length = Math.max(1, ...row.map((v, t) => (v === s + t && v !== 0 ? t + 1 : 0)));
      lengths.add(length);
      expect(row).toEqual(row.map((_, t) => (t < length ? s + t : 0)));
    }
    expect([...symbols].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.min(...lengths)).toBe(1);
    expect(Math.max(...lengths)).toBe(9);
  });

  it("is the same for the same seed and differs for another", () => {
    const a = startSymbol({ samples: 50, seed: 1 });
    expect(Array.from(startSymbol({ samples: 50, seed: 1 }).features)).toEqual(Array.from(a.features));
    expect(Array.from(startSymbol({ samples: 50, seed: 2 }).features)).not.toEqual(Array.from(a.features));
    expect(() => startSymbol({ classes: 1 })).toThrow("classes must be an integer ≥ 2, got 1");
  });

  it("is --data start-symbol: 1,600 training and 400 held-out sequences, refused by a network of another shape", async () => {
    const { train, test, description } = await loadData("start-symbol", { inputSize: 20, outputSize: 10 });
    expect([train.size, test.size, START_SYMBOL.samples]).toEqual([1600, 400, 2000]);
    expect(description).toMatch(/^start-symbol: 2000 sequences/);
    await expect(loadData("start-symbol", { inputSize: 15, outputSize: 10 })).rejects.toThrow("data 'start-symbol' has 20 inputs, but the network takes 15");
  });
});
