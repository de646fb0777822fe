/** The runtime's boundary: wrong arguments get a message that says what was expected, not a TypeError from inside. */
import { describe, expect, it } from "vitest";
import { createNetwork, prune, tf, type NetworkSpec, type PruneOptions } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";
import { buildModel } from "../support/models.js";

describe("the runtime's boundary", () => {
  it("createNetwork refuses what is not a spec", async () => {
    for (const spec of [null, undefined, 42, {}, { name: "N" }]) {
      await expect(createNetwork(spec as unknown as NetworkSpec, { backend: "cpu" })).rejects.toThrow(
        /^createNetwork: expected a network spec \(an object with name, inputShape, layers, blocks and kernels/,
      );
    }
  });

  it("prune refuses missing or ambiguous options and amounts, leaving the masks as they were", async () => {
    const model = await buildModel("network M { input 4 dense 3 output 2 }");
    const live = model.liveConnections();
    expect(() => prune(model, undefined as unknown as PruneOptions)).toThrow("M.prune: expected options with an amount, e.g. { amount: { percent: 10 } }, got undefined");
    expect(() => prune(model, { amount: undefined } as unknown as PruneOptions)).toThrow(
      "M.prune: amount must be one of { percent }, { count }, { budget } or { sparsity }, got undefined",
    );
    expect(() => prune(model, { amount: { percent: 10, count: 3 } } as unknown as PruneOptions)).toThrow('got {"percent":10,"count":3}');
    expect(() => prune(model, { amount: { sparsity: 1.5 } })).toThrow("M.prune: sparsity must be in [0, 1], got 1.5");
    expect(() => prune(model, { amount: { sparsity: 0.5, atMostPercent: 120 } })).toThrow("M.prune: atMostPercent must be in [0, 100], got 120");
    expect(model.liveConnections()).toBe(live);
  });

  it("predict refuses a disposed input, leaking nothing", async () => {
    const model = await buildModel("network M { input 4 dense 3 output 2 }");
    const x = tf.ones([2, 4]);
    x.dispose();
    const before = tf.memory().numTensors;
    expect(() => model.predict(x)).toThrow("M.predict: the input tensor has been disposed");
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ])("predict and activations refuse an input holding %s, naming the sample and entry, leaking nothing", async (_name, bad) => {
    const model = await buildModel("network M { input [2, 2] dense 3 output 2 }");
    const values = new Float32Array(12).fill(0.5);
    values[9] = bad;
    const x = tf.tensor3d(values, [3, 2, 2]);
    const before = tf.memory().numTensors;
    expect(() => model.predict(x)).toThrow(`M.predict: input sample 2 holds ${bad} at entry 1; inputs must be finite numbers`);
    expect(() => model.activations(x)).toThrow(`M.activations: input sample 2 holds ${bad}`);
    expect(tf.memory().numTensors).toBe(before);
    values[9] = 0.25;
    expect(model.predict(tf.tensor3d(values, [3, 2, 2])).shape).toEqual([3, 2]);
  });

  it("refuses missing options, non-finite seeds and targets, and a name where a list belongs, leaking nothing", async () => {
    const model = await buildModel("network M { input 4 dense 3 output 2 }");
    const before = tf.memory().numTensors;
    expect(() => model.extractGraph(null as never)).toThrow("M.extractGraph: expected options { order: 0 | 1 | 2, … }, got null");
    expect(() => model.denseWeightGradients(null as never)).toThrow("M.denseWeightGradients: expected { x, y } with two tensors");
    const x = tf.ones([2, 4]);
    expect(() => model.activations(x, "dense1" as never)).toThrow("M.activations: expected a list of layer names, got string");
    const y = tf.tensor2d([
      [1, 2],
      [3, Number.NaN],
    ]);
    expect(() => model.evaluate({ x, y }, { loss: "mse" })).toThrow("M.evaluate: the target of sample 1 holds NaN at entry 1; targets must be finite numbers");
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
    await expect(createNetwork(model.spec, { seed: Number.NaN, backend: "cpu" })).rejects.toThrow("createNetwork: seed must be a finite number, got NaN");
  });

  it("createNetwork refuses sizes past its limits before allocating, and names the option that raises them", async () => {
    const spec = networkSpec(analyze("network W { input 2000 dense 3000 output 10 }").plans![0]!);
    const before = tf.memory().numTensors;
    await expect(createNetwork(spec, { backend: "cpu", limits: { denseEntries: 1_000_000 } })).rejects.toThrow(
      'W: the matrices of its dense kernels (execution "auto") would be 6,030,000, over the limit of 1,000,000; execution "sparse" runs large sparse kernels without them (raise it with createNetwork\'s limits.denseEntries)',
    );
    await expect(createNetwork(spec, { backend: "cpu", limits: { neurons: 5000 } })).rejects.toThrow("W: the neurons of its layers would be 5,010, over the limit of 5,000");
    await expect(createNetwork(spec, { backend: "cpu", limits: { connections: 6_000_000 } })).rejects.toThrow("W: its connections would be 6,030,000, over the limit of 6,000,000");
    await expect(createNetwork(spec, { backend: "cpu", limits: { neurons: -1 } })).rejects.toThrow("createNetwork: limit 'neurons' must be a positive number, got -1");
    await expect(createNetwork(spec, { backend: "cpu", limits: { weights: 1 } as never })).rejects.toThrow("createNetwork: unknown limit 'weights'");
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses execution dense for a large sparse graph the compiler planned sparse (5.3e9 entries), instead of running out of memory", async () => {
    const { plans } = analyze("graph g = erdos_renyi(200000, 0.00002, seed=1, fast=true)\nnetwork S { input 4 structure g output 2 }");
    const spec = networkSpec(plans![0]!);
    await expect(createNetwork(spec, { backend: "cpu", execution: "dense" })).rejects.toThrow(
      /^S: the matrices of its dense kernels \(execution "dense"\) would be [\d,]+, over the limit of 100,000,000/,
    );
  }, 60_000);
});
