import { describe, expect, it } from "vitest";
import { adding, startSymbol, subset, tf, toTensors } from "../../runtime/index.js";
import { ADDING, DataError, loadData, parseJsonData, type DataShape } from "../../src/data/index.js";
import { buildModel } from "../support/models.js";

const sequenceShape = (steps: number, features: number, flags: boolean, outputSize = 2): DataShape => ({
  inputSize: steps * (features + (flags ? 1 : 0)),
  outputSize,
  sequence: { steps, features, flags },
});

const failure = (read: () => unknown): string => {
  try {
    read();
  } catch (error) {
    if (error instanceof DataError) return error.format();
    throw error;
  }
  throw new Error("expected a DataError");
};

describe("sequence data from JSON", () => {
  const text = '{ "sequences": [[[1, 2], [3, 4], [5, 6]], [[7, 8]]],\n  "labels": [0, 1] }';

  it("lays out each sample's steps step-major, zero-padded, with real-step flags for a padded network", () => {
    const flagged = parseJsonData(text, "s.json", sequenceShape(3, 2, true));
    expect(Array.from(flagged.features)).toEqual([1, 2, 1, 3, 4, 1, 5, 6, 1, 7, 8, 1, 0, 0, 0, 0, 0, 0]);
    const plain = parseJsonData(text, "s.json", sequenceShape(3, 2, false));
    expect(Array.from(plain.features)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
    expect(plain.labels).toEqual({ kind: "classes", classes: Int32Array.from([0, 1]) });
  });

  it("takes plain numbers as steps of one feature", () => {
    const data = parseJsonData('{ "sequences": [[4, 5], [6]], "labels": [1, 0] }', "s.json", sequenceShape(3, 1, true));
    expect(Array.from(data.features)).toEqual([4, 1, 5, 1, 0, 0, 6, 1, 0, 0, 0, 0]);
  });

  it("says where a sample does not fit the network", () => {
    expect(failure(() => parseJsonData(text, "s.json", sequenceShape(2, 2, true)))).toBe("s.json:1:17: error: sequences[0] has 3 steps; the network takes 1 to 2");
    expect(failure(() => parseJsonData(text, "s.json", sequenceShape(3, 3, false)))).toBe("s.json:1:18: error: sequences[0][0] has 2 values; each step holds 3 features");
    expect(failure(() => parseJsonData(text, "s.json", { inputSize: 6, outputSize: 2 }))).toBe(
      's.json:1:16: error: "sequences" are for networks with recurrent layers; this one takes "features" rows',
    );
    expect(failure(() => parseJsonData('{ "sequences": [[]], "labels": [0] }', "s.json", sequenceShape(3, 1, false)))).toBe(
      "s.json:1:17: error: sequences[0] has 0 steps; the network takes 1 to 3",
    );
  });
});

describe("built-in sequence tasks", () => {
  it("start-symbol with flags: the same sequences, each step flagged real up to its length", () => {
    const plain = startSymbol({ samples: 50, steps: 6, seed: 3 });
    const flagged = startSymbol({ samples: 50, steps: 6, seed: 3, flags: true });
    expect(flagged.labels).toEqual(plain.labels);
    for (let i = 0; i < 50; i++) {
      for (let t = 0; t < 6; t++) {
        const flag = flagged.features[(i * 6 + t) * 2 + 1]!;
        expect(flagged.features[(i * 6 + t) * 2]).toBe(plain.features[i * 6 + t]);
        // A sequence s, s+1, … is real up to its length; the first step always is.
        if (t === 0) expect(flag).toBe(1);
        if (flag === 0) expect(flagged.features[(i * 6 + t) * 2]).toBe(0);
      }
    }
    const lengths = Array.from({ length: 50 }, (_, i) => [0, 1, 2, 3, 4, 5].reduce((n, t) => n + flagged.features[(i * 6 + t) * 2 + 1]!, 0));
    expect(new Set(lengths).size).toBeGreaterThan(3);
  });

  it("adding: two markers, one in each half, and the target their values' sum; seeded", () => {
    const data = adding({ samples: 200, steps: 10, seed: 4 });
    expect(data.featureSize).toBe(20);
    if (data.labels.kind !== "targets") throw new Error("adding has targets");
    for (let i = 0; i < 200; i++) {
      const marked = [...Array(10).keys()].filter((t) => data.features[i * 20 + t * 2 + 1] === 1);
      expect(marked.length).toBe(2);
      expect(marked[0]).toBeLessThan(5);
      expect(marked[1]).toBeGreaterThanOrEqual(5);
      const sum = data.features[i * 20 + marked[0]! * 2]! + data.features[i * 20 + marked[1]! * 2]!;
      expect(data.labels.values[i]).toBeCloseTo(sum, 6);
    }
    expect(adding({ samples: 200, steps: 10, seed: 4 })).toEqual(data);
    expect(adding({ samples: 200, steps: 10, seed: 5 }).features).not.toEqual(data.features);
  });

  it("--data adding follows the network's steps, and says what network it needs", async () => {
    const { train, test, description } = await loadData("adding", sequenceShape(12, 2, false, 1));
    expect(train.size + test.size).toBe(ADDING.samples);
    expect(train.featureSize).toBe(24);
    expect(description).toContain("12 (value, marker) steps");
    const flagged = await loadData("adding", sequenceShape(12, 2, true, 1));
    expect(flagged.train.featureSize).toBe(36);
    await expect(loadData("adding", sequenceShape(12, 1, false, 1))).rejects.toThrow("the adding task needs a recurrent network with input [steps, 2]");
    await expect(loadData("adding", { inputSize: 24, outputSize: 1 })).rejects.toThrow(DataError);
  });

  it("a small LSTM learns the adding task: held-out mean squared error well under 1/6, always guessing 1", async () => {
    const data = adding({ samples: 1200, steps: 10, seed: 0 });
    const train = toTensors(subset(data, [...Array(1000).keys()]));
    const test = toTensors(
      subset(
        data,
        Array.from({ length: 200 }, (_, i) => 1000 + i),
      ),
    );
    const model = await buildModel("network A { input [10, 2] recurrent lstm(hidden=16) output 1 }", { seed: 0, backend: "wasm" });
    const before = model.evaluate(test, { loss: "mse" }).loss;
    await model.fit(train, { epochs: 8, batchSize: 20, learningRate: 0.01, seed: 0, loss: "mse" });
    const after = model.evaluate(test, { loss: "mse" }).loss;
    expect(before).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(0.02);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
  }, 180_000);
});
