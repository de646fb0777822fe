/** Learnable masks over conv and recurrent weights: they train, the mask they yield is the one computed with, files keep it. */
import { describe, expect, it } from "vitest";
import { createNetwork, tf, type Model } from "../../runtime/index.js";
import { createRandom } from "../../runtime/random.js";
import { exportWeights, importWeights } from "../../runtime/weights.js";
import { analyze, networkSpec } from "../../src/index.js";

const conv = (line: string): string => `network C {
  input [2, 5, 5]
  features [conv(4, kernel=3), conv(3, kernel=2)]
  output 2
  ${line}
}`;
const gru = (line: string): string => `network R {
  input [4, 3]
  recurrent gru(hidden=[6, 4])
  output 2
  ${line}
}`;

function specOf(source: string) {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return networkSpec(plans![0]!);
}

/** Class 1 when the sample's values sum above 0. */
function task(model: Model, samples: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const random = createRandom(seed);
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: samples * size }, () => random.uniform(-1, 1));
  const y = Int32Array.from({ length: samples }, (_, i) => (x.slice(i * size, (i + 1) * size).reduce((a, b) => a + b, 0) > 0 ? 1 : 0));
  return { x: tf.tensor(x, [samples, ...model.inputShape]), y: tf.tensor1d(y, "int32") };
}

const count = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

const cases = [
  ["conv1", conv("mask learnable(keep=0.9, penalty=0.3, layers=[conv1])"), conv(""), ["conv1"]],
  ["gru1", gru("mask learnable(keep=0.9, penalty=0.3, layers=[gru1])"), gru(""), ["gru1.input", "gru1.hidden"]],
] as const;

describe.each(cases)("learnable masks over %s", (_, source, plainSource, weights) => {
  it("train their logits, drop entries under the penalty, and the mask they yield is exactly the one computed with", async () => {
    const model = await createNetwork(specOf(source), { backend: "cpu", seed: 1 });
    for (const w of weights) expect(model.parameters.map((p) => p.name)).toContain(`${w}.maskLogits`);
    const before = weights.map((w) => model.getMask(w));
    for (const m of before) expect(count(m)).toBe(m.length); // keep=0.9: every entry starts live
    const logits = weights.map((w) => Float32Array.from(model.parameters.find((p) => p.name === `${w}.maskLogits`)!.variable.dataSync()));
    const data = task(model, 256, 2);
    const history = await model.fit(data, { epochs: 3, batchSize: 8, optimizer: { kind: "adam", learningRate: 0.05 }, seed: 1 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.7);
    weights.forEach((w, i) => {
      const now = Float32Array.from(model.parameters.find((p) => p.name === `${w}.maskLogits`)!.variable.dataSync());
      expect(now).not.toEqual(logits[i]);
    });
    const after = weights.map((w) => model.getMask(w));
    expect(after.some((m, i) => count(m) < count(before[i]!))).toBe(true);
    // The same parameters under the learned masks as static ones predict the same, bit for bit.
    const plain = await createNetwork(specOf(plainSource), { backend: "cpu", seed: 5 });
    for (const p of plain.parameters) p.variable.assign(model.parameters.find((q) => q.name === p.name)!.variable);
    weights.forEach((w, i) => plain.setMask(w, after[i]!));
    const ours = model.predict(data.x);
    const theirs = plain.predict(data.x);
    expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
    // A file holds the logits and the mask computed with; loading gives the same predictions.
    const copy = await createNetwork(specOf(source), { backend: "cpu", seed: 9 });
    const saved = await exportWeights(model);
    await importWeights(copy, saved.modelJson, saved.weightData);
    weights.forEach((w, i) => expect(copy.getMask(w)).toEqual(after[i]));
    expect(Array.from(copy.predict(data.x).dataSync())).toEqual(Array.from(ours.dataSync()));
    tf.dispose([ours, theirs, data.x, data.y]);
    [model, plain, copy].forEach((m) => m.dispose());
  }, 60_000);

  it("entries the learned mask drops get no weight gradient, and their logits do get one", async () => {
    const model = await createNetwork(specOf(source), { backend: "cpu", seed: 2 });
    const name = weights[0]!;
    const logits = model.parameters.find((p) => p.name === `${name}.maskLogits`)!.variable;
    logits.assign(tf.randomNormal(logits.shape, 0, 1, "float32", 3));
    const mask = model.getMask(name);
    expect(count(mask)).toBeGreaterThan(0);
    expect(count(mask)).toBeLessThan(mask.length);
    const weight = model.parameters.find((p) => p.name === (name.startsWith("conv") ? `${name}.weight` : `${name}Weight`))!.variable;
    const data = task(model, 16, 4);
    const grads = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(data.y as tf.Tensor1D, 2), model.predict(data.x) as tf.Tensor2D) as tf.Scalar,
        [weight, logits],
      );
      return [Float32Array.from(grads[weight.name]!.dataSync()), Float32Array.from(grads[logits.name]!.dataSync())];
    });
    mask.forEach((m, i) => m === 0 && expect(Math.abs(grads[0]![i]!)).toBe(0));
    expect(grads[1]!.some((g, i) => mask[i >> 1] === 0 && g !== 0)).toBe(true);
    tf.dispose([data.x, data.y]);
    model.dispose();
  });
});

describe("learnable masks in a spec", () => {
  it("refuse a name that is no weight of the network, listing the weights", async () => {
    const spec = specOf(gru("mask learnable(layers=[gru1])"));
    await expect(createNetwork({ ...spec, learnable: { ...spec.learnable!, blocks: ["gru1.hiden"] } }, { backend: "cpu" })).rejects.toThrow(
      "R: learnable masks name unknown weight 'gru1.hiden'; the weights are 'recurrent->output', 'gru1.input', 'gru1.hidden', 'gru2.input', 'gru2.hidden'",
    );
  });
});

describe("mask learnable(…) in the language", () => {
  it("names convs and recurrent weights, and without layers every weight", () => {
    expect(specOf(conv("mask learnable(layers=[conv2])")).learnable!.blocks).toEqual(["conv2"]);
    expect(specOf(gru("mask learnable(layers=[gru2, output])")).learnable!.blocks).toEqual(["gru2.input", "gru2.hidden", "recurrent->output"]);
    expect(specOf(conv("mask learnable()")).learnable!.blocks).toEqual(["conv1", "conv2", "features->output"]);
  });
});
