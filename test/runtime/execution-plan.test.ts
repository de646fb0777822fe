import { describe, expect, it } from "vitest";
import { kernelLayout, kernelShape, sparseIsCheaper, tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const graph = "graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\n";
const x = tf.randomUniform([7, 6], -1, 1, "float32", 11);
const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0], "int32");

const same = (a: tf.Tensor, b: tf.Tensor): void => {
  const expected = b.dataSync();
  a.dataSync().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
};
const structureLayers = (m: Model): string[] => m.layers.filter((l) => l.name.startsWith("g.")).map((l) => l.name);

describe("the execution plan", () => {
  it("under execution sparse runs the whole network as one graph kernel", async () => {
    const model = await buildModel(`${graph}network W { input 6 dense 8 structure g output 3 execution sparse }`);
    expect(model.execution).toEqual([{ kind: "graph", kernel: "graph-kernel", layers: model.layers.slice(1).map((l) => l.name), backend: model.backend }]);
  });

  it("under execution auto runs each kernel the way the cost model says, consecutive sparse ones as one graph kernel", async () => {
    const model = await buildModel(`${graph}network W { input 6 dense 8 structure g output 3 }`);
    // The cost model over what each kernel's layout says: rows with a connection, columns, connections.
    const kindOf = new Map(
      model.spec.kernels.map((k, i) => {
        const layout = kernelLayout(model.spec, i);
        const rows = new Set(Array.from(layout.edges().rows)).size;
        expect(layout.usedRows.length).toBe(rows);
        return [model.spec.layers[k.target]!.name, sparseIsCheaper(kernelShape(model.spec, layout)) ? "graph" : "dense"];
      }),
    );
    expect(kindOf.get("dense1")).toBe("dense");
    for (const step of model.execution) for (const layer of step.layers) expect(kindOf.get(layer)).toBe(step.kind);
    model.execution.forEach((step, i) => expect(step.kind === "graph" && model.execution[i + 1]?.kind === "graph").toBe(false));
    expect(model.execution.flatMap((s) => s.layers)).toEqual(model.layers.slice(1).map((l) => l.name));
  });

  it("takes the output layer into the graph kernel when it runs sparse too, and computes what dense kernels compute", async () => {
    // A 30-neuron dense layer feeding the structure, which feeds 3 outputs.
    const source = `${graph}network W { input 6 dense 30 structure g output 3 execution sparse }`;
    const sparse = await buildModel(source, { seed: 2 });
    const dense = await buildModel(source, { seed: 2, execution: "dense" });
    expect(sparse.execution.at(-1)!.kind).toBe("graph");
    expect(sparse.execution.at(-1)!.layers.at(-1)).toBe("output");
    same(sparse.predict(x), dense.predict(x));
  });

  it("hands out the activations of any layer inside a graph kernel, equal to dense execution's", async () => {
    const source = `${graph}network W { input 6 dense 8 structure g output 3 execution sparse activation tanh }`;
    const sparse = await buildModel(source, { seed: 3 });
    const dense = await buildModel(source, { seed: 3, execution: "dense" });
    const inside = structureLayers(sparse).slice(2, 5);
    const a = sparse.activations(x, [...inside, "output"]);
    const b = dense.activations(x, [...inside, "output"]);
    for (const layer of [...inside, "output"]) {
      expect(a[layer]!.shape).toEqual(b[layer]!.shape);
      same(a[layer]!, b[layer]!);
    }
  });

  it("with layer normalisation runs each sparse layer as its own kernel and matches dense execution", async () => {
    const source = `${graph}network W { input 6 dense 8 structure g output 3 execution sparse layer_norm true }`;
    const sparse = await buildModel(source, { seed: 4 });
    const dense = await buildModel(source, { seed: 4, execution: "dense" });
    expect(sparse.execution.filter((s) => s.kind === "graph").every((s) => s.layers.length === 1)).toBe(true);
    same(sparse.predict(x), dense.predict(x));
    const d = await dense.fit({ x, y }, { epochs: 3, batchSize: 7, optimizer: "sgd" });
    const s = await sparse.fit({ x, y }, { epochs: 3, batchSize: 7, optimizer: "sgd" });
    s.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(d.epochs[i]!.loss, 4));
  });

  it.each(["cpu", "wasm"] as const)("trains through a graph kernel on %s as dense kernels do (gradients reach every layer)", async (backend) => {
    const source = `${graph}network W { input 6 dense 8 structure g output 3 execution sparse activation elu }`;
    const sparse = await buildModel(source, { seed: 5, backend });
    const dense = await buildModel(source, { seed: 5, backend, execution: "dense" });
    const d = await dense.fit({ x, y }, { epochs: 4, batchSize: 7, optimizer: { kind: "sgd", learningRate: 0.1 } });
    const s = await sparse.fit({ x, y }, { epochs: 4, batchSize: 7, optimizer: { kind: "sgd", learningRate: 0.1 } });
    s.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(d.epochs[i]!.loss, 4));
    for (const block of dense.blocks) {
      const expected = dense.getWeights(block.name);
      sparse.getWeights(block.name).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 4));
    }
  });
});

describe("the kernel plan", () => {
  it("hands out of a graph kernel exactly the neurons later kernels read, in the order they read them", async () => {
    const { planSteps } = await import("../../runtime/plan/steps.js");
    const { bindPlan } = await import("../../runtime/binding/execution-plan.js");
    // input (4) → L1 (3, dense) → L2 (5, sparse) → L3 (4, sparse) → output (2, dense, reading L3's neurons 0 and 2 and L1's 1)
    const kernels = [
      { target: 1, size: 3, hidden: true, blocks: [{ source: 0, size: 4 }] },
      { target: 2, size: 5, hidden: true, blocks: [{ source: 1, size: 3 }], edges: { rows: Int32Array.from([0, 1, 2, 2]), targets: Int32Array.from([0, 1, 2, 4]) } },
      { target: 3, size: 4, hidden: true, blocks: [{ source: 2, size: 5 }], edges: { rows: Int32Array.from([0, 1, 4]), targets: Int32Array.from([0, 2, 3]) } },
      {
        target: 4,
        size: 2,
        hidden: false,
        blocks: [
          { source: 1, size: 3 },
          { source: 3, size: 4 },
        ],
        usedRows: Int32Array.from([1, 3, 5]),
      },
    ];
    const options = { layerSizes: [4, 3, 5, 4, 2], layerNorm: false };
    const plan = bindPlan(planSteps(kernels, options), kernels, options);
    expect(plan.steps.map((s) => s.kind)).toEqual(["dense", "graph", "dense"]);
    const graph = plan.steps[1]!;
    if (graph.kind !== "graph") throw new Error("expected a graph step");
    // L3's neurons 0 and 2 are the kernel's neurons 5 and 7 (after L2's five).
    expect(Array.from(graph.exports.dataSync())).toEqual([5, 7]);
    expect(Array.from(graph.columns.get(2)!)).toEqual([-1, -1, -1, -1, -1]);
    expect(Array.from(graph.columns.get(3)!)).toEqual([0, -1, 1, -1]);
    // The output reads L1 (its own tensor, columns 0–2) beside the graph's two: L1's 1, then the graph's 0 and 1.
    const output = plan.steps[2]!;
    expect(output.input.parts).toEqual([
      { kind: "layer", layer: 1 },
      { kind: "graph", graph: 0 },
    ]);
    expect(Array.from(output.input.pick!.dataSync())).toEqual([1, 3, 4]);
    // The graph reads L1's neurons 0, 1 and 2 as its inputs, whole and in order: no pick.
    expect(graph.input).toEqual({ parts: [{ kind: "layer", layer: 1 }], pick: undefined });
    plan.dispose();
  });
});
