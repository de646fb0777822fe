/**
 * Reads that GPU backends can make: `evaluateAsync` gives what `evaluate`
 * gives (one read of device-side sums either way), and fit, which reads each
 * step's loss asynchronously, reports the batch's loss before the step's
 * update: what `evaluate` computes just before.
 */
import { describe, expect, it } from "vitest";
import { tf } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const SOURCE = "network N { input 5 dense 7 output 3 activation tanh }";
const x = tf.randomUniform([37, 5], -1, 1, "float32", 3);
const y = tf.tensor1d(
  Array.from({ length: 37 }, (_, i) => (i * 7) % 3),
  "int32",
);

describe("asynchronous reads", () => {
  it("evaluateAsync equals evaluate, over uneven batches", async () => {
    const model = await buildModel(SOURCE, { seed: 4 });
    const sync = model.evaluate({ x, y }, { batchSize: 10 });
    const async = await model.evaluateAsync({ x, y }, { batchSize: 10 });
    expect(async.samples).toBe(37);
    expect(async.accuracy).toBe(sync.accuracy);
    expect(async.loss).toBeCloseTo(sync.loss, 6);
    // The sums are not trivially zero (the check can fail).
    expect(sync.loss).toBeGreaterThan(0.1);
    const before = tf.memory().numTensors;
    await model.evaluateAsync({ x, y });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("fit's per-step loss, read asynchronously, is the batch's loss", async () => {
    const model = await buildModel(SOURCE, { seed: 4 });
    const before = model.evaluate({ x, y }).loss;
    const losses: number[] = [];
    await model.fit({ x, y }, { epochs: 1, batchSize: 37, learningRate: 0.1, seed: 0, callbacks: { onBatchEnd: (logs) => void losses.push(logs.loss) } });
    expect(losses).toHaveLength(1);
    expect(losses[0]).toBeCloseTo(before, 5);
    expect(model.evaluate({ x, y }).loss).not.toBeCloseTo(before, 3);
  });
});
