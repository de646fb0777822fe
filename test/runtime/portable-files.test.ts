/**
 * A model's stored form does not depend on how it runs: a model saved under
 * any execution and backend loads and predicts under any other, and files
 * of format version 1 (written when storage followed the execution) load
 * too. test/fixtures/weights-v1 was written by the release before the
 * canonical layout, with the predictions it made then.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel, loadWeights } from "../../runtime/files.js";
import { createNetwork, exportWeights, fileSpec, importWeights, tf, useBackend, type BackendName, type Execution, type Model, type WeightsFile } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const graph = "graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\n";
// A structure (sparse under auto), a wide dense layer reading only its sinks (a partial kernel run dense), layer norm.
const source = `${graph}network W { input 6 dense 8 structure g output 3 dense 50 layer_norm true }`;
const x = Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i + 1));
const y = [0, 1, 2, 1];

const executions: readonly Execution[] = ["auto", "dense", "sparse"];
const backends: readonly BackendName[] = ["cpu", "wasm"];
const configurations = executions.flatMap((execution) => backends.map((backend) => ({ execution, backend })));

/** Predictions on the model's own backend, as a plain array. */
async function predictOn(model: Model): Promise<Float32Array> {
  await useBackend(model.backend);
  return tf.tidy(() => model.predict(tf.tensor2d(x, [4, 6])).dataSync() as Float32Array).slice();
}

afterAll(async () => {
  await useBackend("cpu");
});

describe("a saved model", () => {
  it.each(configurations)(
    "saved under execution $execution on $backend loads and predicts under every other",
    async ({ execution, backend }) => {
      const saved = await buildModel(source, { seed: 1, execution, backend });
      // Prune a little and train, so the file carries masks and weights that differ from any initialisation.
      saved.setMask(
        "input->dense1",
        saved.getMask("input->dense1").map((m, i) => (i % 3 === 0 ? 0 : m)),
      );
      await saved.fit({ x: tf.tensor2d(x, [4, 6]), y: tf.tensor1d(y, "int32") }, { epochs: 2, batchSize: 2 });
      const expected = await predictOn(saved);
      const { modelJson, weightData } = await exportWeights(saved);
      for (const other of configurations) {
        const loaded = await buildModel(source, { seed: 7, ...other });
        await importWeights(loaded, modelJson, weightData.slice(0));
        const actual = await predictOn(loaded);
        if (other.execution === execution && other.backend === backend) expect(Array.from(actual)).toEqual(Array.from(expected));
        else actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
        for (const block of saved.blocks) expect(loaded.getMask(block.name)).toEqual(saved.getMask(block.name));
        loaded.dispose();
      }
      saved.dispose();
    },
    60000,
  );

  it("has parameters of the same names and shapes under every execution", async () => {
    const shapes = await Promise.all(
      executions.map(async (execution) => (await buildModel(source, { execution })).parameters.map((p) => `${p.name} [${p.variable.shape.join(", ")}]`)),
    );
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });
});

describe("a version 1 file", () => {
  const fixtures = join(import.meta.dirname, "..", "fixtures", "weights-v1");
  const expected = JSON.parse(readFileSync(join(fixtures, "expected.json"), "utf8")) as Record<string, { source: string; execution: Execution; predictions: number[] }>;

  it.each(Object.keys(expected))(
    "saved under %s loads with its spec under every execution and backend, predicting what it did",
    async (name) => {
      for (const { execution, backend } of configurations) {
        const model = await loadModel(join(fixtures, name), { execution, backend });
        expect(model.layers.map((l) => l.origin.kind)).toContain("structure");
        const actual = await predictOn(model);
        actual.forEach((v, i) => expect(v).toBeCloseTo(expected[name]!.predictions[i]!, 4));
        model.dispose();
      }
    },
    60000,
  );

  it("is refused, leaving the model as it was, when a block's mask switches on a connection its structure lacks", async () => {
    const dir = join(fixtures, "dense");
    const modelJson = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as WeightsFile;
    const bytes = Uint8Array.from(readFileSync(join(dir, "weights.bin")));
    const entries = modelJson.weightsManifest[0]!.weights;
    // Version 1 stored every block's mask as [source, target]: find one with an entry off the structure.
    // Random graphs follow networkx now, so today's compile of the source is another graph: the file's own spec is the network.
    const model = await createNetwork(fileSpec(modelJson)!, { seed: 2, backend: "cpu" });
    const block = model.blocks.find((b) => model.getMask(b.name).includes(0) && entries.some((e) => e.name === `${b.name}.mask`))!;
    const off = model.getMask(block.name).indexOf(0);
    let offset = 0;
    for (const e of entries) {
      if (e.name === `${block.name}.mask`) break;
      offset += e.shape.reduce((a, b) => a * b, 1) * (e.dtype === "bool" ? 1 : 4);
    }
    bytes[offset + off] = 1;
    const before = await predictOn(model);
    await expect(importWeights(model, modelJson, bytes.buffer)).rejects.toThrow(`the mask of block '${block.name}' switches on connections that are not in its structure`);
    expect(await predictOn(model)).toEqual(before);
  });

  it("loads with loadWeights into a network built from the spec it carries", async () => {
    const { predictions } = expected["auto"]!;
    const modelJson = JSON.parse(readFileSync(join(fixtures, "auto", "model.json"), "utf8")) as WeightsFile;
    const model = await createNetwork(fileSpec(modelJson)!, { seed: 5, backend: "cpu" });
    await loadWeights(model, join(fixtures, "auto"));
    (await predictOn(model)).forEach((v, i) => expect(v).toBeCloseTo(predictions[i]!, 4));
  });
});
