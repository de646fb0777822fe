import { describe, expect, it } from "vitest";
import { createNetwork, exportWeights, importWeights, tf, type Model } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";
import { buildModel } from "../support/models.js";

const random = (shape: number[], seed: number): tf.Tensor => tf.randomUniform(shape, 0, 1, "float32", seed);

function parameter(model: Model, name: string): tf.Variable {
  const found = model.parameters.find((p) => p.name === name) ?? model.state.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no parameter ${name}`);
  return found.variable;
}

/**
 * Cells that pool, so maps shrink with depth: cell 2 reads cell 0's 4×4
 * maps and cell 1's 2×2 ones, the smaller zero-padded below and right.
 */
const source = `
  cell pooled = [conv(2, kernel=3, padding=same), max_pool(2)]
  graph g = edges { 0 -> 1, 1 -> 2, 0 -> 2 }
  network N { input [1, 8, 8]  structure g  cells pooled  head 3  output 2 }`;

describe("a cell network", () => {
  it("names every cell's layers by its vertex, with shapes from its concatenated inputs", async () => {
    const model = await buildModel(source, { seed: 2 });
    expect(model.features.map((f) => [f.name, f.outputShape, f.weightShape ?? null])).toEqual([
      ["cell0.conv1", [2, 8, 8], [3, 3, 1, 2]],
      ["cell0.pool1", [2, 4, 4], null],
      ["cell1.conv1", [2, 4, 4], [3, 3, 2, 2]],
      ["cell1.pool1", [2, 2, 2], null],
      ["cell2.conv1", [2, 4, 4], [3, 3, 4, 2]],
      ["cell2.pool1", [2, 2, 2], null],
      ["head.conv", [3, 2, 2], [1, 1, 2, 3]],
      ["head.bn", [3, 2, 2], null],
      ["head.gap", [3, 1, 1], null],
    ]);
    expect(model.layers[0]).toMatchObject({ name: "cells", size: 3 });
    model.dispose();
  });

  it.each(["cpu", "wasm"] as const)(
    "computes each cell over its predecessors' maps concatenated along channels, smaller maps zero-padded at the bottom and right (%s)",
    async (backend) => {
      const model = await buildModel(source, { seed: 2, backend });
      for (const name of ["cell0.conv1.bias", "cell1.conv1.bias", "cell2.conv1.bias"]) parameter(model, name).assign(tf.tensor1d([0.05, -0.05]));
      const x = random([3, 1, 8, 8], 1);
      const y = model.predict(x);
      const expected = tf.tidy(() => {
        const cell = (maps: tf.Tensor4D, name: string): tf.Tensor4D => {
          const conv = tf.conv2d(maps, parameter(model, `${name}.conv1.weight`) as tf.Tensor4D, 1, "same");
          return tf.maxPool(tf.relu(tf.add(conv, parameter(model, `${name}.conv1.bias`))) as tf.Tensor4D, 2, 2, "valid");
        };
        const c0 = cell(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, "cell0");
        const c1 = cell(c0, "cell1");
        const padded = tf.pad(c1, [
          [0, 0],
          [0, 2],
          [0, 2],
          [0, 0],
        ]);
        const c2 = cell(tf.concat([c0, padded], 3), "cell2");
        const head = tf.add(tf.conv2d(c2, parameter(model, "head.conv.weight") as tf.Tensor4D, 1, "valid"), parameter(model, "head.conv.bias"));
        // Inference: running mean 0, variance 1, gain 1, shift 0.
        const pooled = tf.mean(tf.relu(tf.div(head, Math.sqrt(1 + 1e-5))), [1, 2]);
        const w = tf.tensor2d(model.getWeights("cells->output"), [3, 2]);
        return tf.add(tf.matMul(pooled as tf.Tensor2D, w), parameter(model, "output.bias"));
      });
      const [a, e] = [y.dataSync(), expected.dataSync()];
      expect(a.length).toBe(6);
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(e[i]!, 5);
      tf.dispose([x, y, expected]);
      model.dispose();
    },
  );

  it("trains every live weight of every cell's conv through the graph; a masked weight keeps its value", async () => {
    // tanh rather than relu and average pools rather than max: no unit is dead and no position
    // passed over, so every live weight has a gradient (cell 1's padded zeros reach only some taps of cell 2).
    const smooth = source.replace("max_pool(2)", "avg_pool(2)").replace("output 2 }", "output 2  activation tanh }");
    const model = await buildModel(smooth, { seed: 2 });
    const mask = Uint8Array.from({ length: 3 * 3 * 4 * 2 }, (_, i) => (i % 5 === 0 ? 0 : 1));
    model.setMask("cell2.conv1", mask);
    const names = ["cell0.conv1.weight", "cell1.conv1.weight", "cell2.conv1.weight", "head.conv.weight"];
    const before = names.map((n) => parameter(model, n).dataSync().slice());
    const x = random([16, 1, 8, 8], 3);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 2),
        "int32",
      ),
      2,
    );
    await model.fit({ x, y }, { epochs: 2, batchSize: 8, seed: 1 });
    names.forEach((name, k) => {
      const after = parameter(model, name).dataSync();
      const live = name === "cell2.conv1.weight" ? mask : new Uint8Array(after.length).fill(1);
      const moved = Array.from(after, (v, i) => (v !== before[k]![i] ? 1 : 0));
      expect(moved, name).toEqual(Array.from(live));
    });
    tf.dispose([x, y]);
    model.dispose();
  });

  it("saves every cell's weights, masks and batch-norm statistics and loads them into a fresh model", async () => {
    const withNorm = source.replace("cell pooled = [conv(2, kernel=3, padding=same), max_pool(2)]", "cell pooled = [conv(2, kernel=3, padding=same), batch_norm(), max_pool(2)]");
    const saved = await buildModel(withNorm, { seed: 2 });
    for (let i = 0; i < 3; i++) tf.dispose(saved.predict(random([4, 1, 8, 8], 10 + i), { training: true }));
    const mask = Uint8Array.from({ length: 3 * 3 * 2 * 2 }, (_, i) => (i % 3 === 1 ? 0 : 1));
    saved.setMask("cell1.conv1", mask);
    const { modelJson, weightData } = await exportWeights(saved);
    const names = modelJson.weightsManifest[0]!.weights.map((w) => w.name);
    for (const name of ["cell2.conv1.weight", "cell1.bn1.runningMean", "cell1.bn1.runningVariance", "head.bn.runningMean", "cell1.conv1.mask", "head.conv.mask"])
      expect(names).toContain(name);
    const loaded = await buildModel(withNorm, { seed: 9 });
    const x = random([3, 1, 8, 8], 5);
    expect(Array.from(loaded.predict(x).dataSync())).not.toEqual(Array.from(saved.predict(x).dataSync()));
    await importWeights(loaded, JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(Array.from(loaded.getMask("cell1.conv1"))).toEqual(Array.from(mask));
    expect(Array.from(parameter(loaded, "cell1.bn1.runningVariance").dataSync())).toEqual(Array.from(parameter(saved, "cell1.bn1.runningVariance").dataSync()));
    expect(Array.from(loaded.predict(x).dataSync())).toEqual(Array.from(saved.predict(x).dataSync()));
    tf.dispose(x);
    saved.dispose();
    loaded.dispose();
  });

  it("drops an edge of the extracted cell graph when every weight reading that predecessor is masked", async () => {
    const model = await buildModel(source, { seed: 2 });
    const edges = (): string[] =>
      model
        .extractGraph({ order: 2 })
        .mapEdges((_e, _a, s, t) => `${s}->${t}`)
        .sort();
    expect(edges()).toEqual(["0->1", "0->2", "1->2", "2->head", "head->output", "input->0"]);
    // cell2.conv1 reads [cell 0's 2 channels, cell 1's 2 channels]: HWIO, input channel = (k / 2) % 4.
    model.setMask(
      "cell2.conv1",
      Uint8Array.from({ length: 3 * 3 * 4 * 2 }, (_, k) => (Math.floor(k / 2) % 4 < 2 ? 0 : 1)),
    );
    expect(edges()).toEqual(["0->1", "1->2", "2->head", "head->output", "input->0"]);
    // At order 0 the same mask leaves no edge from cell 0's last map into cell 2's conv, and keeps cell 1's.
    const neurons = model.extractGraph({ order: 0 });
    const into = (layer: string): number => neurons.filterEdges((_e, _a, s, t) => s.startsWith(`${layer}:`) && t.startsWith("cell2.conv1:")).length;
    expect(into(model.spec.cells!.vertices[0]!.layers.at(-1)!.name)).toBe(0);
    expect(into(model.spec.cells!.vertices[1]!.layers.at(-1)!.name)).toBeGreaterThan(0);
    model.dispose();
  });
});

describe("a cell network spec at the runtime's boundary", () => {
  it("is refused, naming the cell, when a vertex reads one that does not come before it, or a layer name repeats", async () => {
    const spec = networkSpec(analyze(source).plans![0]!);
    const [first, second, third] = spec.cells!.vertices;
    const reordered = { ...spec, cells: { ...spec.cells!, vertices: [second!, first!, third!] } };
    await expect(createNetwork(reordered, { backend: "cpu" })).rejects.toThrow("N: invalid network spec: cell 1 reads vertex 0, which does not come before it");
    const renamed = { ...spec, cells: { ...spec.cells!, vertices: [first!, { ...second!, layers: first!.layers }, third!] } };
    await expect(createNetwork(renamed, { backend: "cpu" })).rejects.toThrow("cell 1: layer 0 has a missing or repeated name");
  });
});
