import { describe, expect, it } from "vitest";
import { prune, tf, type Model } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";
import { buildModel } from "../support/models.js";

const source = "graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\nnetwork W { input 6 dense 8 structure g output 3 }";
const x = tf.randomUniform([5, 6], -1, 1, "float32", 9);
const y = tf.tensor1d([0, 1, 2, 0, 1], "int32");
const edgesOf = (m: Model): string[] =>
  m
    .extractGraph({ order: 0, includeInputs: false, includeOutputs: false })
    .mapEdges((_e, _a, s, t) => `${s}->${t}`)
    .sort();

describe("sparse and dense execution", () => {
  it("compute the same network from the same seed: outputs, live connections, extracted edges", async () => {
    const dense = await buildModel(source, { seed: 4, execution: "dense" });
    const sparse = await buildModel(source, { seed: 4, execution: "sparse" });
    // The stored form does not depend on the execution: same names, same shapes.
    expect(sparse.parameters.map((p) => `${p.name}:${p.variable.shape}`)).toEqual(dense.parameters.map((p) => `${p.name}:${p.variable.shape}`));
    expect(sparse.execution.some((s) => s.kind === "graph")).toBe(true);
    expect(dense.execution.every((s) => s.kind === "dense")).toBe(true);
    const a = sparse.predict(x).dataSync();
    dense
      .predict(x)
      .dataSync()
      .forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
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

  it.each(["sparse", "dense"] as const)("prune and keep pruned weights at zero (execution %s); refuse switching on a connection outside the structure", async (execution) => {
    const model = await buildModel(source, { seed: 6, execution });
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
    expect(() => model.setMask(block.name, all)).toThrow(/holds only its structure's \d+ connections; entry \d+ \(row \d+, column \d+\) is not one of them/);
    // A refused mask changes nothing.
    expect(model.liveConnections()).toBe(before - Math.floor(before / 2));
  });

  it("`execution` in the language reaches the spec; the factory option overrides it", async () => {
    const { plans } = analyze(`${source.replace("output 3 }", "output 3 execution sparse }")}`);
    const spec = networkSpec(plans![0]!);
    expect(spec.execution).toBe("sparse");
    const { createNetwork } = await import("../../runtime/index.js");
    const fromSpec = await createNetwork(spec, { backend: "cpu" });
    expect(fromSpec.executionMode).toBe("sparse");
    expect(fromSpec.execution.some((s) => s.kind === "graph")).toBe(true);
    const forced = await createNetwork(spec, { backend: "cpu", execution: "dense" });
    expect(forced.executionMode).toBe("dense");
    expect(forced.execution.map((s) => s.kind)).toEqual(forced.spec.kernels.map(() => "dense"));
  });
});

/** A wide dense layer after the structure reads only its sinks: a packed dense kernel under auto. */
const packedSource = source.replace("output 3", "dense 1000 output 3");

describe("packed dense kernels (execution auto)", () => {
  it("multiply only the source neurons with connections, and compute what the unpacked kernel computes", async () => {
    const auto = await buildModel(packedSource, { seed: 7, execution: "auto" });
    const dense = await buildModel(packedSource, { seed: 7, execution: "dense" });
    // Storage holds one weight per structural connection, far fewer than the fused matrices' entries.
    const stored = auto.parameters.filter((p) => p.name.endsWith(".weight")).reduce((n, p) => n + p.variable.size, 0);
    expect(stored).toBe(auto.liveConnections());
    expect(stored).toBeLessThan(auto.totalConnections());
    const a = auto.predict(x).dataSync();
    dense
      .predict(x)
      .dataSync()
      .forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    for (const b of dense.blocks) expect(auto.getWeights(b.name)).toEqual(dense.getWeights(b.name));
    expect(edgesOf(auto)).toEqual(edgesOf(dense));
    const d = await dense.fit({ x, y }, { epochs: 2, batchSize: 5, optimizer: "sgd" });
    const p = await auto.fit({ x, y }, { epochs: 2, batchSize: 5, optimizer: "sgd" });
    p.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(d.epochs[i]!.loss, 4));
  });

  it("refuse switching on a connection the structure does not have, whichever way they run", async () => {
    // The wide dense layer after the structure reads only its sinks: other source rows hold no connection.
    for (const execution of ["auto", "dense"] as const) {
      const model = await buildModel(packedSource, { seed: 8, execution });
      expect(model.execution.find((s) => s.layers.includes("dense2"))!.kind).toBe("dense");
      const block = model.blocks.find((b) => b.target === "dense2" && model.getMask(b.name).includes(0))!;
      const mask = model.getMask(block.name);
      const off = mask.indexOf(0);
      mask[off] = 1;
      expect(() => model.setMask(block.name, mask)).toThrow(`entry ${off} (row ${Math.floor(off / block.targetSize)}, column ${off % block.targetSize}) is not one of them`);
    }
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
  const learnable = source.replace("output 3 }", "output 3\n mask learnable(keep=0.9, layers=[g]) }");
  const normalised = source.replace("output 3 }", "output 3\n layer_norm true }");
  it.each([
    ["auto", source],
    ["dense", source],
    ["sparse", source],
    ["auto", learnable],
    ["dense", normalised],
  ] as const)("counts what a network built with execution %s allocates (%#)", async (execution, text) => {
    const { plannedParameters } = await import("../../runtime/index.js");
    const model = await buildModel(text, { seed: 1, execution });
    const planned = plannedParameters(model.spec);
    expect(planned.weights + planned.biases + planned.maskLogits).toBe(model.parameters.reduce((n, p) => n + p.variable.size, 0));
    expect(planned.live).toBe(model.liveConnections());
  });
});
