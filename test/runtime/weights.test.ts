import { mkdtempSync, readFileSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWeights, saveWeights } from "../../runtime/files.js";
import { tf, type Model, type WeightsFile } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const source = "graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }\nnetwork D { input 5 dense 6 structure d output 3 layer_norm true }";
const input = tf.tensor2d(Float32Array.from({ length: 4 * 5 }, (_, i) => Math.sin(i)), [4, 5]);
const predict = (model: Model): Float32Array => model.predict(input).dataSync() as Float32Array;

describe("saving and loading weights", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsc-weights-"));

  it("round-trips weights and masks: the loaded model predicts bit for bit what the saved one did", async () => {
    const saved = await buildModel(source, { seed: 1 });
    const mask = saved.getMask("input->dense1").map((_, i) => (i % 4 === 1 ? 0 : 1));
    saved.setMask("input->dense1", mask);
    await saved.fit({ x: input, y: tf.tensor1d([0, 1, 2, 1], "int32") }, { epochs: 3, batchSize: 2 });
    await saveWeights(saved, join(dir, "a"));

    const loaded = await buildModel(source, { seed: 99 });
    expect(predict(loaded)).not.toEqual(predict(saved));
    await loadWeights(loaded, join(dir, "a"));
    expect(predict(loaded)).toEqual(predict(saved));
    expect(loaded.getMask("input->dense1")).toEqual(mask);
    for (const p of saved.parameters) {
      const twin = loaded.parameters.find((q) => q.name === p.name)!;
      expect(twin.variable.dataSync()).toEqual(p.variable.dataSync());
    }
  });

  it("writes TensorFlow.js's layout: model.json with a weights manifest, parameters then masks", async () => {
    const model = await buildModel(source, { seed: 2 });
    await saveWeights(model, join(dir, "b"));
    const json = JSON.parse(readFileSync(join(dir, "b", "model.json"), "utf8")) as WeightsFile;
    expect(json).toMatchObject({ format: "deepstruct-weights", formatVersion: 1, network: "D", inputShape: [5], outputShape: [3] });
    const entries = json.weightsManifest[0]!.weights;
    expect(json.weightsManifest[0]!.paths).toEqual(["weights.bin"]);
    expect(entries.map((e) => e.name)).toEqual([
      ...model.parameters.map((p) => p.name),
      ...model.blocks.map((b) => `${b.name}.mask`),
    ]);
    expect(entries[0]).toEqual({ name: "dense1.weight", shape: [5, 6], dtype: "float32" });
    expect(entries.at(-1)!.dtype).toBe("bool");
    const bytes = entries.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * (e.dtype === "bool" ? 1 : 4), 0);
    expect(readFileSync(join(dir, "b", "weights.bin")).byteLength).toBe(bytes);
  });

  it("refuses a network of another shape, naming the first mismatch, and leaves the model unchanged", async () => {
    const saved = await buildModel(source, { seed: 3 });
    await saveWeights(saved, join(dir, "c"));
    const other = await buildModel(source.replace("dense 6", "dense 7"), { seed: 4 });
    const before = predict(other);
    await expect(loadWeights(other, join(dir, "c"))).rejects.toThrow(
      "cannot load weights into 'D': parameter 'dense1.weight' is [5, 6] in the file but [5, 7] in the model",
    );
    expect(predict(other)).toEqual(before);
  });

  it("refuses a truncated weights.bin", async () => {
    const saved = await buildModel(source, { seed: 5 });
    await saveWeights(saved, join(dir, "d"));
    truncateSync(join(dir, "d", "weights.bin"), 10);
    await expect(loadWeights(saved, join(dir, "d"))).rejects.toThrow(/the weight data has 10 bytes but the manifest describes \d+/);
  });

  it("names a missing file", async () => {
    const model = await buildModel(source);
    const missing = join(dir, "nowhere");
    await expect(loadWeights(model, missing)).rejects.toThrow(`cannot load weights: no such file ${join(missing, "model.json")}`);
  });
});
