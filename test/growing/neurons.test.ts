import { describe, expect, it } from "vitest";
import { createOptimizer, growNeurons, prune, tf } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const mlp = "network M { input 5 dense [4, 3] output 2 }";
const x = tf.randomUniform([6, 5], -1, 1, "float32", 11);
const y = tf.tensor1d([0, 1, 0, 1, 1, 0], "int32");
const outputs = (m: { predict(x: tf.Tensor): tf.Tensor }): number[] => Array.from(m.predict(x).dataSync());

describe("growing neurons", () => {
  it("zero mode: outputs identical right after growth; new neurons have incoming weights and zero outgoing ones", async () => {
    const model = await buildModel(mlp, { seed: 1 });
    await model.fit({ x, y }, { epochs: 2, batchSize: 3 });
    const grown = await growNeurons(model, "dense1", { mode: "zero", count: 3, seed: 2 });
    expect(grown.layers.find((l) => l.name === "dense1")!.size).toBe(7);
    expect(outputs(grown)).toEqual(outputs(model));
    const incoming = grown.getWeights("input->dense1");
    const outgoing = grown.getWeights("dense1->dense2");
    for (let r = 0; r < 5; r++) for (const c of [4, 5, 6]) expect(incoming[r * 7 + c]).not.toBe(0);
    for (const r of [4, 5, 6]) for (let c = 0; c < 3; c++) expect(outgoing[r * 3 + c]).toBe(0);
    // Extraction follows the new shape: 7 neurons in dense1, and live connections as edges.
    const graph = grown.extractGraph({ order: 0 });
    expect(graph.hasNode("dense1:6")).toBe(true);
    expect(graph.size).toBe(grown.liveConnections());
  });

  it("split mode (Net2Net): the copies share the outgoing weights, and outputs stay identical", async () => {
    const model = await buildModel(mlp, { seed: 3 });
    const grown = await growNeurons(model, "dense2", { mode: "split", split: [0, 2] });
    expect(grown.layers.find((l) => l.name === "dense2")!.size).toBe(5);
    const a = outputs(grown);
    const b = outputs(model);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    const before = model.getWeights("dense2->output");
    const after = grown.getWeights("dense2->output");
    expect(after[0]).toBeCloseTo(before[0]! / 2, 6);
    expect(after[3 * 2]).toBe(after[0]); // row 3 is the copy of neuron 0
  });

  it("fresh mode changes the function; masks and pruning carry over", async () => {
    const model = await buildModel(mlp, { seed: 4 });
    prune(model, { amount: { count: 5 }, blocks: ["input->dense1"] });
    const grown = await growNeurons(model, "dense1", { mode: "fresh", count: 2, seed: 1 });
    expect(outputs(grown)).not.toEqual(outputs(model));
    expect(grown.liveConnections("input->dense1")).toBe(20 - 5 + 10);
    const oldMask = model.getMask("input->dense1");
    const newMask = grown.getMask("input->dense1");
    for (let r = 0; r < 5; r++) for (let c = 0; c < 4; c++) expect(newMask[r * 6 + c]).toBe(oldMask[r * 4 + c]);
  });

  it("optimizer state follows the growth: Adam's moments grow with their variables, old entries kept", async () => {
    const model = await buildModel(mlp, { seed: 5 });
    const optimizer = createOptimizer("adam");
    await model.fit({ x, y }, { epochs: 1, batchSize: 3, optimizer });
    const before = await optimizer.getWeights();
    const oldWeight = model.parameters.find((p) => p.name === "dense2.weight")!.variable;
    const oldMoment = before
      .find((w) => w.name === `${oldWeight.name}/m`)!
      .tensor.dataSync()
      .slice();
    const grown = await growNeurons(model, "dense1", { mode: "zero", count: 2, optimizer });
    const after = await optimizer.getWeights();
    for (const parameter of grown.parameters) {
      const m = after.find((w) => w.name === `${parameter.variable.name}/m`)!;
      expect(m.tensor.shape).toEqual(parameter.variable.shape);
    }
    const newWeight = grown.parameters.find((p) => p.name === "dense2.weight")!.variable;
    const moment = after.find((w) => w.name === `${newWeight.name}/m`)!.tensor.dataSync();
    expect(Array.from(moment.slice(0, 4 * 3))).toEqual(Array.from(oldMoment)); // rows of the old neurons
    expect(Array.from(moment.slice(4 * 3))).toEqual(new Array(2 * 3).fill(0)); // rows of the new ones
    const history = await grown.fit({ x, y }, { epochs: 1, batchSize: 3, optimizer });
    expect(Number.isFinite(history.epochs[0]!.loss)).toBe(true);
    optimizer.dispose();
  });

  it("refuses structure depths, the output, and preserving modes with layer norm", async () => {
    const model = await buildModel("graph p = path(3)\nnetwork S { input 2 structure p dense 3 output 2 layer_norm true }");
    await expect(growNeurons(model, "p.d1", { mode: "fresh", count: 1 })).rejects.toThrow("'p.d1' is a structure's depth");
    await expect(growNeurons(model, "output", { mode: "fresh", count: 1 })).rejects.toThrow("'output' is the output");
    await expect(growNeurons(model, "dense1", { mode: "zero", count: 1 })).rejects.toThrow("mode 'zero' preserves the function only without layer_norm");
  });
});

describe("growing neurons under every execution", () => {
  // A structure before and after the grown layer: sparse kernels under auto and sparse, partial ones dense.
  const mixed = "graph g = watts_strogatz(n=30, k=4, p=0.5, seed=2)\nnetwork W { input 5 structure g dense 6 structure g output 2 }";
  it.each(["auto", "dense", "sparse"] as const)("execution %s: zero and split modes keep the outputs, masks and execution carry over", async (execution) => {
    const model = await buildModel(mixed, { seed: 1, execution });
    prune(model, { amount: { percent: 30 } });
    await model.fit({ x, y }, { epochs: 1, batchSize: 3 });
    for (const options of [
      { mode: "zero", count: 2 },
      { mode: "split", split: [1, 4] },
    ] as const) {
      const grown = await growNeurons(model, "dense1", { ...options, seed: 3 });
      expect(grown.executionMode).toBe(execution);
      expect(grown.layers.find((l) => l.name === "dense1")!.size).toBe(8);
      outputs(grown).forEach((v, i) => expect(v).toBeCloseTo(outputs(model)[i]!, 5));
      // Every mask carries over where the block existed (pruned stays pruned); new connections are live.
      for (const block of model.blocks) {
        const old = model.getMask(block.name);
        const now = grown.getMask(block.name);
        const cols = grown.blocks.find((b) => b.name === block.name)!.targetSize;
        for (let r = 0; r < block.sourceSize; r++) for (let c = 0; c < block.targetSize; c++) expect(now[r * cols + c]).toBe(old[r * block.targetSize + c]);
      }
      expect(grown.liveConnections()).toBeGreaterThan(model.liveConnections());
      expect(grown.execution.map((s) => s.kind)).toEqual(model.execution.map((s) => s.kind));
    }
  });
});

describe("growing a scalable family", async () => {
  const { analyze, networkSpec } = await import("../../src/index.js");
  const { growInto } = await import("../../runtime/index.js");
  const source = (scale: number): string => `graph s = scalable(balanced_tree(2, 1), scale=${scale}, proportions=[2, 1, 1])\nnetwork F { input 5 structure s dense 3 output 2 }`;
  const specOf = (scale: number) => networkSpec(analyze(source(scale)).plans![0]!);

  it.each(["dense", "sparse"] as const)("scale 8 → 16 under execution %s keeps the outputs and the execution", async (execution) => {
    const small = await buildModel(source(8), { seed: 6, execution });
    await small.fit({ x, y }, { epochs: 1, batchSize: 3 });
    const big = await growInto(small, specOf(16), { mode: "zero", seed: 1 });
    expect(big.executionMode).toBe(execution);
    expect(big.execution.some((s) => s.kind === "graph")).toBe(execution === "sparse");
    const b = outputs(small);
    outputs(big).forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
  });

  it("scale 8 → 16 keeps every trained weight of what existed and, in zero mode, the outputs", async () => {
    const small = await buildModel(source(8), { seed: 6 });
    await small.fit({ x, y }, { epochs: 2, batchSize: 3 });
    const big = await growInto(small, specOf(16), { mode: "zero", seed: 1 });
    expect(big.layers.find((l) => l.name === "s.d0")!.size).toBe(8);
    expect(small.layers.find((l) => l.name === "s.d0")!.size).toBe(4);
    const a = outputs(big);
    const b = outputs(small);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    // Vertex 0's first four neurons are the old ones: their incoming weights are unchanged.
    const oldIn = small.getWeights("input->s.d0");
    const newIn = big.getWeights("input->s.d0");
    for (let r = 0; r < 5; r++) for (let c = 0; c < 4; c++) expect(newIn[r * 8 + c]).toBe(oldIn[r * 4 + c]);
  });

  it("fresh mode changes the function but keeps the old weights", async () => {
    const small = await buildModel(source(8), { seed: 7 });
    const big = await growInto(small, specOf(16), { mode: "fresh", seed: 2 });
    expect(outputs(big)).not.toEqual(outputs(small));
    expect(big.getBias("dense1")).toEqual(small.getBias("dense1"));
  });
});
