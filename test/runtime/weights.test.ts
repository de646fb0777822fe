import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWeights, saveWeights } from "../../runtime/files.js";
import { createNetwork, encodeMask, exportWeights, importWeights, tf, type Model, type NetworkSpec, type WeightsFile } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const source = "graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }\nnetwork D { input 5 dense 6 structure d output 3 layer_norm true }";
const input = tf.tensor2d(
  Float32Array.from({ length: 4 * 5 }, (_, i) => Math.sin(i)),
  [4, 5],
);
const predict = (model: Model, x: tf.Tensor = input): Float32Array => {
  const y = model.predict(x);
  const values = y.dataSync() as Float32Array;
  y.dispose();
  return values;
};
const masks = (model: Model): Record<string, Uint8Array> => Object.fromEntries(model.blocks.map((b) => [b.name, model.getMask(b.name)]));

/**
 * A hand-written network 3 → 4 → 2 whose two blocks hold only some
 * connections, so with execution "sparse" both kernels run sparse.
 */
const sparseSpec: NetworkSpec = {
  name: "Sparse",
  inputShape: [3],
  activation: "tanh",
  layerNorm: false,
  layers: [
    { name: "input", origin: { kind: "input" }, size: 3 },
    { name: "h", origin: { kind: "dense", index: 1 }, size: 4 },
    { name: "output", origin: { kind: "output" }, size: 2 },
  ],
  blocks: [
    { name: "input->h", source: 0, target: 1, mask: encodeMask(12, [0, 5, 10, 11]) },
    { name: "h->output", source: 1, target: 2, mask: encodeMask(8, [0, 3, 4, 7]) },
  ],
  kernels: [
    { target: 1, blocks: [0] },
    { target: 2, blocks: [1] },
  ],
  execution: "sparse",
};
const sparseInput = tf.tensor2d([0.5, -1, 2, 1.5, 0.25, -0.75], [2, 3]);

describe("saving and loading weights", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsc-weights-"));

  it("round-trips weights and masks: the loaded model predicts bit for bit what the saved one did", async () => {
    const saved = await buildModel(source, { seed: 1 });
    const mask = saved.getMask("input->dense1").map((_, i) => (i % 4 === 1 ? 0 : 1));
    saved.setMask("input->dense1", mask);
    saved.setMask("d.d1->d.d2", [1, 0]);
    await saved.fit({ x: input, y: tf.tensor1d([0, 1, 2, 1], "int32") }, { epochs: 3, batchSize: 2 });
    await saveWeights(saved, join(dir, "a"));

    const loaded = await buildModel(source, { seed: 99 });
    expect(predict(loaded)).not.toEqual(predict(saved));
    await loadWeights(loaded, join(dir, "a"));
    expect(predict(loaded)).toEqual(predict(saved));
    expect(loaded.getMask("input->dense1")).toEqual(mask);
    expect(loaded.getMask("d.d1->d.d2")).toEqual(Uint8Array.from([1, 0]));
    expect(masks(loaded)).toEqual(masks(saved));
    for (const p of saved.parameters) {
      const twin = loaded.parameters.find((q) => q.name === p.name)!;
      expect(twin.variable.dataSync()).toEqual(p.variable.dataSync());
    }
  });

  it("writes TensorFlow.js's layout: model.json with a weights manifest, parameters then a mask per layer's kernel", async () => {
    const model = await buildModel(source, { seed: 2 });
    await saveWeights(model, join(dir, "b"));
    const text = readFileSync(join(dir, "b", "model.json"), "utf8");
    const json = JSON.parse(text) as WeightsFile;
    expect(Object.keys(json)).toEqual(["format", "formatVersion", "network", "inputShape", "outputShape", "layers", "blocks", "weightsManifest", "weightsSha256", "spec"]);
    expect(text).toBe(`${JSON.stringify(json, null, 2)}\n`);
    expect(json).toMatchObject({ format: "deepstruct-weights", formatVersion: 2, network: "D", inputShape: [5], outputShape: [3] });
    expect(json.layers[0]).toEqual({ name: "input", size: 5 });
    expect(json.blocks[0]).toEqual({ name: "input->dense1", sourceSize: 5, targetSize: 6 });
    expect(json.weightsManifest).toHaveLength(1);
    // The weight file is named by the SHA-256 of its bytes, which model.json records.
    const weightsFile = `weights-${json.weightsSha256!.slice(0, 16)}.bin`;
    expect(json.weightsManifest[0]!.paths).toEqual([weightsFile]);
    expect(
      createHash("sha256")
        .update(readFileSync(join(dir, "b", weightsFile)))
        .digest("hex"),
    ).toBe(json.weightsSha256);
    const entries = json.weightsManifest[0]!.weights;
    expect(entries.map((e) => e.name)).toEqual([
      "dense1.weight",
      "dense1.bias",
      "dense1.gain",
      "dense1.shift",
      "d.d0.weight",
      "d.d0.bias",
      "d.d1.weight",
      "d.d1.bias",
      "d.d1.gain",
      "d.d1.shift",
      "d.d2.weight",
      "d.d2.bias",
      "output.weight",
      "output.bias",
      "dense1.mask",
      "d.d0.mask",
      "d.d1.mask",
      "d.d2.mask",
      "output.mask",
    ]);
    expect(entries[0]).toEqual({ name: "dense1.weight", shape: [5, 6], dtype: "float32" });
    // d.d2 reads d.d0 (vertex 0 -> 3) and d.d1 (1 -> 3, 2 -> 3): every entry of its [3, 1] is a connection.
    expect(entries[10]).toEqual({ name: "d.d2.weight", shape: [3, 1], dtype: "float32" });
    expect(entries[14]).toEqual({ name: "dense1.mask", shape: [5, 6], dtype: "bool" });
    const bytes = entries.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * (e.dtype === "bool" ? 1 : 4), 0);
    expect(readFileSync(join(dir, "b", weightsFile)).byteLength).toBe(bytes);
    // Saving the same model again gives the same bytes.
    await saveWeights(model, join(dir, "b2"));
    expect(readFileSync(join(dir, "b2", "model.json"), "utf8")).toBe(text);
    expect(readFileSync(join(dir, "b2", weightsFile))).toEqual(readFileSync(join(dir, "b", weightsFile)));
    // Saving another model there replaces the weight file: no file model.json does not name is left.
    await saveWeights(await buildModel(source, { seed: 3 }), join(dir, "b2"));
    expect(readdirSync(join(dir, "b2")).sort()).toEqual(
      ["model.json", (JSON.parse(readFileSync(join(dir, "b2", "model.json"), "utf8")) as WeightsFile).weightsManifest[0]!.paths[0]!].sort(),
    );
  });

  it("refuses a network of another shape, naming the first mismatch, and leaves the model unchanged", async () => {
    const saved = await buildModel(source, { seed: 3 });
    await saveWeights(saved, join(dir, "c"));
    const other = await buildModel(source.replace("dense 6", "dense 7"), { seed: 4 });
    const before = predict(other);
    await expect(loadWeights(other, join(dir, "c"))).rejects.toThrow("cannot load weights into 'D': parameter 'dense1.weight' is [5, 6] in the file but [5, 7] in the model");
    expect(predict(other)).toEqual(before);
  });

  const weightFile = (folder: string): string => join(folder, (JSON.parse(readFileSync(join(folder, "model.json"), "utf8")) as WeightsFile).weightsManifest[0]!.paths[0]!);

  it("refuses a truncated weight file", async () => {
    const saved = await buildModel(source, { seed: 5 });
    await saveWeights(saved, join(dir, "d"));
    // 73 float32 parameters (292 bytes) and 44 mask entries of one byte each.
    truncateSync(weightFile(join(dir, "d")), 10);
    await expect(loadWeights(saved, join(dir, "d"))).rejects.toThrow("cannot load weights into 'D': the weight data has 10 bytes but the manifest describes 336");
  });

  it("refuses a weight file with a byte changed (its SHA-256 differs), and NaN weights, leaving the model as it was", async () => {
    const saved = await buildModel(source, { seed: 6 });
    await saveWeights(saved, join(dir, "f"));
    const target = await buildModel(source, { seed: 7 });
    const before = predict(target);
    const path = weightFile(join(dir, "f"));
    const bytes = readFileSync(path);
    for (const at of [0, 100, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at] = flipped[at]! ^ 1;
      writeFileSync(path, flipped);
      await expect(loadWeights(target, join(dir, "f"))).rejects.toThrow("the weight data does not match the SHA-256 that model.json records");
    }
    writeFileSync(path, bytes);
    const { modelJson, weightData } = await exportWeights(saved);
    new Float32Array(weightData, 0, 1)[0] = Number.NaN;
    const { weightsSha256: _unchecked, ...withoutChecksum } = modelJson;
    await expect(importWeights(target, withoutChecksum, weightData)).rejects.toThrow("parameter 'dense1.weight' entry 0 is NaN; weights must be finite numbers");
    expect(predict(target)).toEqual(before);
  });

  it("names a missing file", async () => {
    const model = await buildModel(source);
    const missing = join(dir, "nowhere");
    await expect(loadWeights(model, missing)).rejects.toThrow(`cannot load weights: no such file ${join(missing, "model.json")}`);
    await saveWeights(model, join(dir, "e"));
    writeFileSync(join(dir, "e", "model.json"), "{ not json");
    await expect(loadWeights(model, join(dir, "e"))).rejects.toThrow(`cannot load weights from ${join(dir, "e", "model.json")}: it is not valid JSON`);
  });
});

describe("exportWeights and importWeights", () => {
  it("load into a network of another name when its parameters are the same, and free every temporary tensor", async () => {
    const saved = await createNetwork(sparseSpec, { seed: 1, backend: "cpu" });
    saved.setMask("h->output", [1, 0, 0, 1, 0, 0, 0, 1]);
    const renamed = await createNetwork({ ...sparseSpec, name: "Renamed" }, { seed: 2, backend: "cpu" });
    const tensors = tf.memory().numTensors;
    const { modelJson, weightData } = await exportWeights(saved);
    await importWeights(renamed, modelJson, weightData);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(predict(renamed, sparseInput)).toEqual(predict(saved, sparseInput));
    expect(renamed.getMask("h->output")).toEqual(Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 1]));
  });

  it("refuses a file that is not deepstruct weights, or of another version", async () => {
    const model = await createNetwork(sparseSpec, { backend: "cpu" });
    const { modelJson, weightData } = await exportWeights(model);
    await expect(importWeights(model, { ...modelJson, format: "other" } as unknown as WeightsFile, weightData)).rejects.toThrow(
      `cannot load weights into 'Sparse': the file is not a deepstruct weights file (its 'format' is not "deepstruct-weights")`,
    );
    await expect(importWeights(model, { ...modelJson, formatVersion: 3 } as unknown as WeightsFile, weightData)).rejects.toThrow(
      "cannot load weights into 'Sparse': the file has format version 3; this runtime reads versions 1 and 2",
    );
  });

  it("names a missing mask, an entry the model does not have, and the network the file came from", async () => {
    const model = await createNetwork(sparseSpec, { backend: "cpu" });
    const { modelJson, weightData } = await exportWeights(model);
    const entries = modelJson.weightsManifest[0]!.weights;
    const withWeights = (weights: typeof entries, network = modelJson.network): WeightsFile => ({ ...modelJson, network, weightsManifest: [{ paths: ["weights.bin"], weights }] });
    await expect(importWeights(model, withWeights(entries.filter((e) => e.name !== "h.mask")), weightData)).rejects.toThrow(
      "cannot load weights into 'Sparse': the file has no mask for layer 'h'",
    );
    await expect(importWeights(model, withWeights([...entries, { name: "extra.bias", shape: [2], dtype: "float32" }]), weightData)).rejects.toThrow(
      "cannot load weights into 'Sparse': the file has 'extra.bias', which the model does not",
    );
    await expect(
      importWeights(
        model,
        withWeights(
          entries.filter((e) => e.name !== "h.bias"),
          "Mlp",
        ),
        weightData,
      ),
    ).rejects.toThrow("cannot load weights into 'Sparse': the file has no parameter 'h.bias' (the file was saved from network 'Mlp')");
  });

  it("stores a partial kernel's weight and mask per connection: one value for each of the structure's connections", async () => {
    const model = await createNetwork(sparseSpec, { seed: 3, backend: "cpu" });
    model.setMask("input->h", [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    const { modelJson, weightData } = await exportWeights(model);
    const entries = modelJson.weightsManifest[0]!.weights;
    expect(entries.find((e) => e.name === "h.weight")).toEqual({ name: "h.weight", shape: [4], dtype: "float32" });
    expect(entries.find((e) => e.name === "h.mask")).toEqual({ name: "h.mask", shape: [4], dtype: "bool" });
    const offset = entries.slice(0, -2).reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * (e.dtype === "bool" ? 1 : 4), 0);
    // Connections 0, 5, 10, 11 of the [3, 4] block: 10 was switched off.
    expect(Array.from(new Uint8Array(weightData, offset, 4))).toEqual([1, 1, 0, 1]);
  });
});
