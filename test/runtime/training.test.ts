import { describe, expect, it } from "vitest";
import { tf, type EpochLogs, type Model, type OptimizerName } from "../../runtime/index.js";
import { createRandom } from "../../runtime/random.js";
import { buildModel } from "../support/models.js";

/** Two classes split by a fixed hyperplane in 6 dimensions: learnable, not trivially at the start. */
function separable(samples: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const random = createRandom(seed);
  const normal = [0.9, -1.2, 0.4, 1.5, -0.7, 0.3];
  const x = new Float32Array(samples * 6);
  const y = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    let dot = 0;
    for (let j = 0; j < 6; j++) {
      const v = random.uniform(-1, 1);
      x[i * 6 + j] = v;
      dot += v * normal[j]!;
    }
    y[i] = dot > 0 ? 1 : 0;
  }
  return { x: tf.tensor2d(x, [samples, 6]), y: tf.tensor1d(y, "int32") };
}

const small = "network S { input 6  dense 16  output 2 }";

/** The stored (unmasked) values of a kernel's fused weight. */
const stored = (model: Model, layer: string): Float32Array => Float32Array.from(model.parameters.find((p) => p.name === `${layer}.weight`)!.variable.dataSync());

describe("fit", () => {
  it.each<OptimizerName>(["adam", "sgd"])("lowers the loss and learns a separable problem with %s", async (optimizer) => {
    const model = await buildModel(small, { seed: 3 });
    const data = separable(400, 1);
    const before = model.evaluate(data);
    // 0.01 for both: Adam's default 0.001 leaves this small problem at 86–96% after 15 epochs, depending on the seed.
    const history = await model.fit(data, { epochs: 15, batchSize: 16, optimizer: { kind: optimizer, learningRate: 0.01 }, seed: 2, validationData: separable(200, 9) });
    const last = history.epochs.at(-1)!;
    expect(history.epochs).toHaveLength(15);
    expect(last.loss).toBeLessThan(before.loss * 0.5);
    expect(last.accuracy).toBeGreaterThan(0.9);
    expect(last.valAccuracy).toBeGreaterThan(0.88);
    expect(model.evaluate(data).loss).toBeLessThan(before.loss * 0.5);
  });

  it.each<OptimizerName>(["adam", "sgd"])("never moves a masked weight: 50 %s steps", async (optimizer) => {
    const model = await buildModel(small, { seed: 4 });
    const block = "input->dense1";
    const mask = model.getMask(block).map((_, i) => (i % 3 === 0 ? 0 : 1));
    model.setMask(block, mask);
    const initial = stored(model, "dense1");
    // 400 samples in batches of 8 is 50 steps.
    await model.fit(separable(400, 5), { epochs: 1, batchSize: 8, optimizer });
    const after = stored(model, "dense1");
    const effective = model.getWeights(block);
    let moved = 0;
    mask.forEach((live, i) => {
      if (live === 0) {
        expect(after[i]).toBe(initial[i]); // the stored value is untouched ...
        expect(effective[i]).toBe(0); // ... and the connection contributes nothing
      } else if (after[i] !== initial[i]) moved++;
    });
    expect(moved).toBeGreaterThan(mask.filter((m) => m === 1).length * 0.9);
    expect(model.liveConnections(block)).toBe(mask.filter((m) => m === 1).length);
  });

  it("is deterministic for a seed", async () => {
    const run = async (): Promise<number[]> => {
      const model = await buildModel(small, { seed: 1 });
      const history = await model.fit(separable(100, 1), { epochs: 2, batchSize: 10, seed: 7 });
      return history.epochs.map((e) => e.loss);
    };
    expect(await run()).toEqual(await run());
  });

  it("calls back per batch and per epoch, reports sparsity, and can be stopped", async () => {
    const model = await buildModel(small);
    model.setMask(
      "input->dense1",
      new Array(6 * 16).fill(0).map((_, i) => (i < 48 ? 1 : 0)),
    );
    const batches: number[] = [];
    const epochs: EpochLogs[] = [];
    const history = await model.fit(separable(60, 2), {
      epochs: 5,
      batchSize: 20,
      callbacks: {
        onBatchEnd: (logs) => void batches.push(logs.batch),
        onEpochEnd: (logs, control) => {
          epochs.push(logs);
          if (logs.epoch === 2) control.stop();
        },
      },
    });
    expect(batches).toEqual([1, 2, 3, 1, 2, 3]);
    expect(history.stopped).toBe(true);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[0]!.liveConnections).toBe(48 + 16 * 2);
    expect(epochs[0]!.totalConnections).toBe(6 * 16 + 16 * 2);
    expect(epochs[0]!.sparsity).toBeCloseTo(48 / 128, 10);
  });

  it("trains on mean squared error towards real-valued targets", async () => {
    const model = await buildModel("network R { input 2 dense 16 output 1 activation tanh }", { seed: 2 });
    const random = createRandom(3);
    const xs = Float32Array.from({ length: 400 }, () => random.uniform(-1, 1));
    const ys = Float32Array.from({ length: 200 }, (_, i) => xs[2 * i]! * 0.5 - xs[2 * i + 1]! * 0.25);
    const data = { x: tf.tensor2d(xs, [200, 2]), y: tf.tensor2d(ys, [200, 1]) };
    const before = model.evaluate(data, { loss: "mse" }).loss;
    await model.fit(data, { epochs: 30, batchSize: 20, loss: "mse", optimizer: { kind: "adam", learningRate: 0.01 } });
    expect(model.evaluate(data, { loss: "mse" }).loss).toBeLessThan(before / 10);
  });

  it("refuses data that does not fit the network, saying what and where", async () => {
    const model = await buildModel(small);
    const x = tf.zeros([4, 6]);
    await expect(model.fit({ x: tf.zeros([4, 5]), y: tf.tensor1d([0, 1, 0, 1], "int32") }, { epochs: 1 })).rejects.toThrow(
      "S.fit: training data: x has shape [4, 5]; expected [n, 6] or [n, 6]",
    );
    await expect(model.fit({ x, y: tf.tensor1d([0, 1, 2, 1], "int32") }, { epochs: 1 })).rejects.toThrow("y[2] is 2, which is not a class of a network with 2 outputs (0 … 1)");
    await expect(model.fit({ x, y: tf.tensor1d([0, 1, 1], "int32") }, { epochs: 1 })).rejects.toThrow("x has 4 samples but y has 3");
    await expect(model.fit({ x, y: tf.tensor1d([0, 1, 1, 0], "int32") }, { epochs: 0 })).rejects.toThrow("epochs must be a positive integer, got 0");
  });

  it("predicts in batches exactly what one pass predicts", async () => {
    const model = await buildModel(small, { seed: 8 });
    const { x } = separable(70, 3);
    expect(Array.from(model.predictBatches(x, { batchSize: 16 }).dataSync())).toEqual(Array.from(model.predict(x).dataSync()));
  });
});

describe("a loss that is not a number", () => {
  const source = "network M { input 4 dense 8 output 2 }";
  const y = tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0], "int32");
  it("stops fit with a message naming the epoch and step (a learning rate far too large)", async () => {
    const model = await buildModel(source, { seed: 1 });
    const x = tf.tensor2d(
      Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 100),
      [8, 4],
    );
    const run = model.fit({ x, y }, { epochs: 3, batchSize: 4, optimizer: { kind: "sgd", learningRate: 1e30 } });
    await expect(run).rejects.toThrow(/^M\.fit: the loss became (NaN|Infinity) at epoch \d, step \d of 2; training stopped/);
  });

  it("stops at the first step when the data hold NaN, naming the sample, leaking no tensors", async () => {
    const model = await buildModel(source, { seed: 2 });
    const values = Float32Array.from({ length: 32 }, (_, i) => i / 32);
    values[5] = Number.NaN;
    const x = tf.tensor2d(values, [8, 4]);
    const before = tf.memory().numTensors;
    await expect(model.fit({ x, y }, { epochs: 1, batchSize: 8, shuffle: false })).rejects.toThrow("M.predict: input sample 1 holds NaN at entry 1; inputs must be finite numbers");
    expect(tf.memory().numTensors).toBe(before);
  });
});
