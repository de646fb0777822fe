import { describe, expect, it } from "vitest";
import { tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const mlp = "network M { input 6 dense [10, 8] output 3 }";
const data = {
  x: tf.randomUniform([40, 6], -1, 1, "float32", 3),
  y: tf.tensor1d(
    Array.from({ length: 40 }, (_, i) => i % 3),
    "int32",
  ),
};
const total = 6 * 10 + 10 * 8 + 8 * 3;
const weightsOf = (model: Model): Map<string, Float32Array> => new Map(model.blocks.map((b) => [b.name, model.getWeights(b.name)]));

describe("pruning schedules in fit", () => {
  it("one-shot at an epoch: prunes once, logged in that epoch", async () => {
    const model = await buildModel(mlp, { seed: 1 });
    const history = await model.fit(data, { epochs: 3, batchSize: 10, pruning: [{ kind: "oneShot", percent: 25, atEpoch: 2 }] });
    expect(history.epochs.map((e) => e.pruned)).toEqual([0, Math.floor(0.25 * total), 0]);
    expect(history.epochs[2]!.liveConnections).toBe(total - Math.floor(0.25 * total));
  });

  it("iterative: p% of what is live every N epochs until the target, reported per epoch", async () => {
    const model = await buildModel(mlp, { seed: 2 });
    const history = await model.fit(data, { epochs: 5, batchSize: 10, pruning: [{ kind: "iterative", percent: 50, every: 1, target: 0.8 }] });
    const live = history.epochs.map((e) => e.liveConnections);
    expect(live[0]).toBe(total - Math.floor(total / 2)); // 82
    expect(live[1]).toBe(live[0]! - Math.floor(live[0]! / 2)); // 41
    expect(live[2]).toBe(Math.ceil(0.2 * total)); // capped at the 80% target: 33
    expect(live[3]).toBe(live[2]);
    expect(history.epochs.at(-1)!.sparsity).toBeCloseTo(1 - Math.ceil(0.2 * total) / total, 10);
  });

  it("iterative with rewind to init: the surviving weights are their values at the start of training (lottery tickets)", async () => {
    const model = await buildModel(mlp, { seed: 3 });
    const initial = weightsOf(model);
    await model.fit(data, { epochs: 2, batchSize: 10, pruning: [{ kind: "iterative", percent: 30, every: 2, target: 0.5, rewind: "init" }] });
    for (const block of model.blocks) {
      const mask = model.getMask(block.name);
      const w = model.getWeights(block.name);
      mask.forEach((m, i) => expect(w[i]).toBe(m === 1 ? initial.get(block.name)![i] : 0));
    }
    expect(model.liveConnections()).toBe(total - Math.floor(0.3 * total));
  });

  it("gradual: the cubic schedule of Zhu & Gupta, reaching the final sparsity at the end step", async () => {
    const model = await buildModel(mlp, { seed: 4 });
    const sparsities: number[] = [];
    const scope = ["input->dense1", "dense1->dense2"];
    const size = 6 * 10 + 10 * 8;
    await model.fit(data, {
      epochs: 3,
      batchSize: 10,
      pruning: [{ kind: "gradual", initial: 0, final: 0.6, start: 1, end: 9, every: 2, blocks: scope }],
      callbacks: { onBatchEnd: () => void sparsities.push(1 - scope.reduce((n, b) => n + model.liveConnections(b), 0) / size) },
    });
    const expected = (t: number): number => 0.6 + (0 - 0.6) * Math.pow(1 - (t - 1) / 8, 3);
    // The live count is rounded up, so the sparsity reached is s_t rounded down to whole connections.
    for (const t of [1, 3, 5, 7, 9]) expect(sparsities[t - 1]).toBeCloseTo(Math.floor(expected(t) * size + 1e-9) / size, 10);
    expect(sparsities[8]).toBeCloseTo(0.6, 10);
    expect(sparsities.at(-1)).toBe(sparsities[8]);
    expect(model.liveConnections("dense2->output")).toBe(24);
  });

  it("refuses a schedule that cannot be carried out", async () => {
    const model = await buildModel(mlp);
    await expect(model.fit(data, { epochs: 1, pruning: [{ kind: "iterative", percent: 20, every: 0, target: 0.5 }] })).rejects.toThrow(
      "M: pruning schedule 'iterative': every must be a positive integer, got 0",
    );
    await expect(model.fit(data, { epochs: 1, pruning: [{ kind: "oneShot", percent: 20, atEpoch: 1, blocks: ["nope"] }] })).rejects.toThrow("unknown block 'nope'");
  });
});
