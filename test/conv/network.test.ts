import { describe, expect, it } from "vitest";
import { exportWeights, importWeights, tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const random = (shape: number[], seed: number): tf.Tensor => tf.randomUniform(shape, 0, 1, "float32", seed);

function parameter(model: Model, name: string): tf.Variable {
  const found = model.parameters.find((p) => p.name === name) ?? model.state.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no parameter ${name}`);
  return found.variable;
}

describe("a network with feature layers", () => {
  const source = `network C {
    input [2, 7, 6]
    features [conv(3, kernel=[3, 2], stride=2, padding=same), avg_pool(2, padding=same)]
    output 4
  }`;

  it("names its feature layers and reports their shapes, the flattened size being layer 0", async () => {
    const model = await buildModel(source, { seed: 3 });
    expect(model.features.map((f) => [f.name, f.kind, f.outputShape])).toEqual([
      ["conv1", "conv", [3, 4, 3]],
      ["pool1", "avgPool", [3, 2, 2]],
    ]);
    expect(model.features[0]!.weightShape).toEqual([3, 2, 2, 3]);
    expect(model.layers[0]).toMatchObject({ name: "features", size: 12 });
    expect(model.parameters.map((p) => p.name)).toEqual(["conv1.weight", "conv1.bias", "output.weight", "output.bias"]);
    model.dispose();
  });

  it("computes relu(conv) → avg pool, flattened channel, row, column, then the dense output", async () => {
    const model = await buildModel(source, { seed: 3 });
    parameter(model, "conv1.bias").assign(tf.tensor1d([0.1, -0.2, 0.3]));
    const x = random([2, 2, 7, 6], 1);
    const y = model.predict(x);
    const expected = tf.tidy(() => {
      const nhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
      const conv = tf.relu(tf.add(tf.conv2d(nhwc, parameter(model, "conv1.weight") as tf.Tensor4D, 2, "same"), parameter(model, "conv1.bias")));
      const pooled = tf.avgPool(conv as tf.Tensor4D, 2, 2, "same");
      const flat = tf.reshape(tf.transpose(pooled, [0, 3, 1, 2]), [2, 12]);
      const w = tf.tensor2d(model.getWeights("features->output"), [12, 4]);
      return tf.add(tf.matMul(flat, w), parameter(model, "output.bias"));
    });
    const [a, e] = [y.dataSync(), expected.dataSync()];
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(e[i]!, 5);
    tf.dispose([x, y, expected]);
    model.dispose();
  });

  it("multiplies conv weights by their mask: masked weights have no effect", async () => {
    const model = await buildModel(source, { seed: 3 });
    const shape = model.features[0]!.weightShape!;
    const size = shape.reduce((a, b) => a * b, 1);
    const mask = Uint8Array.from({ length: size }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const x = random([2, 2, 7, 6], 2);
    model.setMask("conv1", mask);
    expect(Array.from(model.getMask("conv1"))).toEqual(Array.from(mask));
    const masked = model.predict(x).dataSync();
    const weight = parameter(model, "conv1.weight");
    const zeroed = tf.mul(weight, tf.tensor(Float32Array.from(mask), [...shape]));
    weight.assign(zeroed);
    model.setMask("conv1", new Uint8Array(size).fill(1));
    expect(Array.from(model.predict(x).dataSync())).toEqual(Array.from(masked));
    expect(() => model.setMask("conv1", new Uint8Array(size).fill(2))).toThrow(/conv layer 'conv1' entry 0 is 2; a mask holds only 0 and 1/);
    tf.dispose([x, zeroed]);
    model.dispose();
  });
});

describe("batch norm in a network", () => {
  const source = "network B { input [1, 4, 4] features [conv(2, kernel=3, padding=same), batch_norm(momentum=0.5)] output 2 }";

  it("normalises by the batch and moves its running statistics in training, and uses them in inference", async () => {
    const model = await buildModel(source, { seed: 1 });
    const x = random([5, 1, 4, 4], 4);
    const before = model.predict(x).dataSync();
    // conv → batch norm → relu: the pre-norm maps give the batch statistics.
    const conv = tf.tidy(() => {
      const nhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
      return tf.add(tf.conv2d(nhwc, parameter(model, "conv1.weight") as tf.Tensor4D, 1, "same"), parameter(model, "conv1.bias"));
    });
    const { mean, variance } = tf.moments(conv, [0, 1, 2]);
    tf.dispose(model.predict(x, { training: true }));
    const count = 5 * 4 * 4;
    const runningMean = parameter(model, "bn1.runningMean").dataSync();
    const runningVariance = parameter(model, "bn1.runningVariance").dataSync();
    mean.dataSync().forEach((m, c) => expect(runningMean[c]).toBeCloseTo(0.5 * m, 5));
    variance.dataSync().forEach((v, c) => expect(runningVariance[c]).toBeCloseTo(0.5 + 0.5 * v * (count / (count - 1)), 5));
    // Inference reads the running statistics, so its output changed with them.
    const after = model.predict(x).dataSync();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    tf.dispose([x, conv, mean, variance]);
    model.dispose();
  });

  it("saves conv weights, masks and running statistics in the weight files, and loads them into a fresh model", async () => {
    const saved = await buildModel(source, { seed: 1 });
    const x = random([3, 1, 4, 4], 5);
    for (let i = 0; i < 3; i++) tf.dispose(saved.predict(random([4, 1, 4, 4], 10 + i), { training: true }));
    const mask = Uint8Array.from({ length: 18 }, (_, i) => (i % 4 === 1 ? 0 : 1));
    saved.setMask("conv1", mask);
    const { modelJson, weightData } = await exportWeights(saved);
    expect(modelJson.weightsManifest[0]!.weights.map((w) => `${w.name}:${w.dtype}`)).toEqual([
      "conv1.weight:float32",
      "conv1.bias:float32",
      "bn1.gain:float32",
      "bn1.shift:float32",
      "output.weight:float32",
      "output.bias:float32",
      "output.mask:bool",
      "bn1.runningMean:float32",
      "bn1.runningVariance:float32",
      "conv1.mask:bool",
    ]);
    const loaded = await buildModel(source, { seed: 9 });
    expect(Array.from(loaded.predict(x).dataSync())).not.toEqual(Array.from(saved.predict(x).dataSync()));
    await importWeights(loaded, JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(Array.from(loaded.getMask("conv1"))).toEqual(Array.from(mask));
    expect(Array.from(loaded.predict(x).dataSync())).toEqual(Array.from(saved.predict(x).dataSync()));
    tf.dispose(x);
    saved.dispose();
    loaded.dispose();
  });
});
