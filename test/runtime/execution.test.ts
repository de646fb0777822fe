import { describe, expect, it } from "vitest";
import { prune, tf, type Model } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";
import { buildModel } from "../support/models.js";

const source = "graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\nnetwork W { input 6 dense 8 structure g output 3 }";
const x = tf.randomUniform([5, 6], -1, 1, "float32", 9);
const y = tf.tensor1d([0, 1, 2, 0, 1], "int32");
const edgesOf = (m: Model): string[] => m.extractGraph({ order: 0, includeInputs: false, includeOutputs: false }).mapEdges((_e, _a, s, t) => `${s}->${t}`).sort();

describe("sparse and dense execution", () => {
  it("compute the same network from the same seed: outputs, live connections, extracted edges", async () => {
    const dense = await buildModel(source, { seed: 4, execution: "dense" });
    const sparse = await buildModel(source, { seed: 4, execution: "sparse" });
    expect(sparse.parameters.find((p) => p.name === "g.d1.weight")!.variable.rank).toBe(1);
    const a = sparse.predict(x).dataSync();
    dense.predict(x).dataSync().forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    expect(sparse.liveConnections()).toBe(dense.liveConnections());
    expect(edgesOf(sparse)).toEqual(edgesOf(dense));
    for (const b of dense.blocks) expect(sparse.getWeights(b.name)).toEqual(dense.getWeights(b.name));
  });

  it("train alike: the same losses to float precision after a few steps", async () => {
    const dense = await buildModel(source, { seed: 5, execution: "dense" });
    const sparse = await buildModel(source, { seed: 5, execution: "sparse" });
    const d = await dense.fit({ x, y }, { epochs: 3, batchSize: 5, optimizer: "sgd" });
    const s = await sparse.fit({ x, y }, { epochs: 3, batchSize: 5, optimizer: "sgd" });
    s.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(d.epochs[i]!.loss, 4));
  });

  it("prune and keep pruned weights at zero on a sparse kernel; refuse switching on a connection outside the structure", async () => {
    const model = await buildModel(source, { seed: 6, execution: "sparse" });
    const before = model.liveConnections();
    prune(model, { amount: { percent: 50 } });
    expect(model.liveConnections()).toBe(before - Math.floor(before / 2));
    await model.fit({ x, y }, { epochs: 2, batchSize: 5 });
    for (const b of model.blocks) {
      const mask = model.getMask(b.name);
      model.getWeights(b.name).forEach((w, i) => mask[i] === 0 && expect(w).toBe(0));
    }
    const block = model.blocks.find((b) => b.name.startsWith("g.d0->"))!;
    const all = new Array(block.sourceSize * block.targetSize).fill(1);
    expect(() => model.setMask(block.name, all)).toThrow("runs as a sparse kernel, which holds only its structure's connections");
  });

  it("`execution` in the language reaches the spec; the factory option overrides it", async () => {
    const { plans } = analyze(`${source.replace("output 3 }", "output 3 execution sparse }")}`);
    const spec = networkSpec(plans![0]!);
    expect(spec.execution).toBe("sparse");
    const { createNetwork } = await import("../../runtime/index.js");
    const forced = await createNetwork(spec, { backend: "cpu", execution: "dense" });
    expect(forced.parameters.find((p) => p.name === "g.d1.weight")!.variable.rank).toBe(2);
  });
});

/** A wide dense layer after the structure reads only its sinks: a packed dense kernel under auto. */
const packedSource = source.replace("output 3", "dense 1000 output 3");

describe("packed dense kernels (execution auto)", () => {
  it("multiply only the source neurons with connections, and compute what the unpacked kernel computes", async () => {
    const auto = await buildModel(packedSource, { seed: 7, execution: "auto" });
    const dense = await buildModel(packedSource, { seed: 7, execution: "dense" });
    const packedWeights = auto.parameters.filter((p) => p.name.endsWith(".weight"));
    const fullWeights = dense.parameters.filter((p) => p.name.endsWith(".weight"));
    const sizes = (ps: typeof packedWeights): number => ps.reduce((n, p) => n + p.variable.size, 0);
    expect(sizes(packedWeights)).toBeLessThan(sizes(fullWeights));
    const a = auto.predict(x).dataSync();
    dense.predict(x).dataSync().forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    for (const b of dense.blocks) expect(auto.getWeights(b.name)).toEqual(dense.getWeights(b.name));
    expect(edgesOf(auto)).toEqual(edgesOf(dense));
    const d = await dense.fit({ x, y }, { epochs: 2, batchSize: 5, optimizer: "sgd" });
    const p = await auto.fit({ x, y }, { epochs: 2, batchSize: 5, optimizer: "sgd" });
    p.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(d.epochs[i]!.loss, 4));
  });

  it("refuse switching on a connection from a source neuron they packed away", async () => {
    // The structure runs in a graph kernel; the wide dense layer after it reads only the sinks, so the other
    // source rows are empty, and it is far too dense for a sparse kernel to pay under any calibration.
    const auto = await buildModel(packedSource, { seed: 8, execution: "auto" });
    expect(auto.execution.find((s) => s.layers.includes("dense2"))!.kind).toBe("dense");
    // A source neuron with no connection into its target layer through any block is packed away.
    const denseLayers = new Set(auto.execution.filter((s) => s.kind === "dense").flatMap((s) => s.layers));
    const hidden = auto.blocks.filter((b) => b.source.startsWith("g.") && denseLayers.has(b.target));
    const found = hidden
      .map((block) => {
        const rowsOfTarget = auto.blocks.filter((b) => b.target === block.target && b.source === block.source);
        const mask = auto.getMask(block.name);
        const unused = Array.from({ length: block.sourceSize }, (_, r) => r).find((r) => rowsOfTarget.length === 1 && mask.slice(r * block.targetSize, (r + 1) * block.targetSize).every((m) => m === 0));
        return unused === undefined ? undefined : { block, mask, unused };
      })
      .find((f) => f !== undefined);
    expect(found).toBeDefined();
    const { block, mask, unused } = found!;
    mask[unused * block.targetSize] = 1;
    expect(() => auto.setMask(block.name, mask)).toThrow("runs packed");
  });
});

describe("packed kernels on WASM", () => {
  it("train: the gather of packed sources has a gradient the WASM backend can run", async () => {
    const { useBackend } = await import("../../runtime/index.js");
    const auto = await buildModel(packedSource, { seed: 9, execution: "auto", backend: "wasm" });
    expect(auto.backend).toBe("wasm");
    const history = await auto.fit({ x, y }, { epochs: 2, batchSize: 5 });
    expect(history.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
    await useBackend("cpu");
  });
});

describe("plannedParameters", () => {
  it.each(["auto", "dense", "sparse"] as const)("counts what a network built with execution %s allocates", async (execution) => {
    const { plannedParameters } = await import("../../runtime/index.js");
    const model = await buildModel(source, { seed: 1, execution });
    const planned = plannedParameters(model.spec, execution);
    expect(planned.weights + planned.biases).toBe(model.parameters.reduce((n, p) => n + p.variable.size, 0));
    expect(planned.live).toBe(model.liveConnections());
  });
});
