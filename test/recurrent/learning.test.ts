import { describe, expect, it } from "vitest";
import { startSymbol, subset, tf, toTensors } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

describe("learning the start symbol", () => {
  it("a small LSTM learns a short start-symbol task to at least 90% held out", async () => {
    const data = startSymbol({ samples: 500, classes: 4, steps: 8, seed: 0 });
    const train = toTensors(
      subset(
        data,
        Array.from({ length: 400 }, (_, i) => i),
      ),
    );
    const test = toTensors(
      subset(
        data,
        Array.from({ length: 100 }, (_, i) => 400 + i),
      ),
    );
    const model = await buildModel("network S { input [8, 1] recurrent lstm(hidden=16) output 4 }", { seed: 0 });
    await model.fit(train, { epochs: 12, batchSize: 16, learningRate: 0.01, seed: 0, clipNorm: 1 });
    const { accuracy } = model.evaluate(test);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
  }, 120_000);
});
