/**
 * RigL's regrowth gradient through batch norm: the training-mode loss, the one
 * fit's step takes (each batch normalised by its own statistics), with the
 * running statistics left as they were. A fresh network's running statistics
 * (mean 0, variance 1) make an inference-mode batch norm the identity, so an
 * inference-mode gradient ranks the convs under it as a network training
 * never runs; the test checks that the two rankings differ here, so it fails
 * on a gradient taken in inference mode.
 */
import { describe, expect, it } from "vitest";
import { createNetwork, dynamicSparseHooks, applySparseStart, tf, type DynamicSparsity, type Model, type Tensor2D } from "../../runtime/index.js";
import { prunableWeights, readWeights, weightVariable, writeWeights, type PrunableWeight } from "../../runtime/pruning/weights.js";
import { loss, type LossName } from "../../runtime/training/losses.js";
import { buildModel } from "../support/models.js";

const SOURCE = `network C {
  input [2, 7, 7]
  features [conv(4, kernel=3), batch_norm(), conv(5, kernel=3), batch_norm()]
  dense 6
  output 3
}`;
const SAMPLES = 16;
const CONFIG: DynamicSparsity = { method: "rigl", sparsity: 0.6, every: 1, dropFraction: 0.3, decay: "constant", stop: 10, blocks: ["conv1", "conv2"] };

interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

function batchFor(model: Model): Batch {
  const x = tf.randomUniform([SAMPLES, ...model.inputShape], -1, 1, "float32", 5);
  const y = tf.tensor1d(
    Array.from({ length: SAMPLES }, (_, i) => (i * 5 + 1) % 3),
    "int32",
  );
  return { x, y };
}

/**
 * tf.variableGrads of the loss in the given mode at every entry of `weight`,
 * masked ones too, without the runtime's dense-gradient path: a copy of the
 * model whose copy of `weight` has a full mask and the effective values (0
 * where `model` masks), so it computes the same outputs.
 */
async function referenceGradient(model: Model, weight: PrunableWeight, batch: Batch, training: boolean, lossName: LossName = "crossEntropy"): Promise<Float32Array> {
  const copy = await createNetwork(model.spec, { backend: "cpu", seed: 9 });
  for (const p of [...model.parameters, ...model.state]) [...copy.parameters, ...copy.state].find((q) => q.name === p.name)!.variable.assign(p.variable);
  for (const w of prunableWeights(model)) copy.setMask(w.name, model.getMask(w.name));
  const mask = model.getMask(weight.name);
  copy.setMask(weight.name, new Uint8Array(weight.size).fill(1));
  writeWeights(
    copy,
    weight,
    readWeights(model, weight).map((v, i) => (mask[i] === 1 ? v : 0)),
  );
  const variable = weightVariable(copy, weight);
  const gradient = tf.tidy(() => tf.variableGrads(() => loss(lossName, copy.predict(batch.x, { training }) as Tensor2D, batch.y), [variable]).grads[variable.name]!);
  const values = Float32Array.from(gradient.dataSync());
  gradient.dispose();
  copy.dispose();
  return values;
}

/** The k inactive entries with the largest |gradient|, ties by position, in increasing order. */
function largestInactive(mask: Uint8Array, gradient: Float32Array, k: number): number[] {
  return Array.from(mask.keys())
    .filter((j) => mask[j] === 0)
    .sort((a, b) => Math.abs(gradient[b]!) - Math.abs(gradient[a]!) || a - b)
    .slice(0, k)
    .sort((a, b) => a - b);
}

const stateOf = (model: Model): Float32Array[] => model.state.map((s) => Float32Array.from(s.variable.dataSync()));

describe("RigL through batch norm", () => {
  it("regrows the inactive conv entries with the largest |gradient| of the training-mode loss, the running statistics unchanged", async () => {
    const model = await buildModel(SOURCE, { seed: 2 });
    applySparseStart(model, CONFIG);
    const batch = batchFor(model);
    const weights = prunableWeights(model).filter((w) => w.kind === "conv");
    expect(weights.map((w) => w.name)).toEqual(["conv1", "conv2"]);
    const before = weights.map((w) => model.getMask(w.name));
    const training = await Promise.all(weights.map((w) => referenceGradient(model, w, batch, true)));
    const inference = await Promise.all(weights.map((w) => referenceGradient(model, w, batch, false)));
    const k = before.map((m) => Math.floor(CONFIG.dropFraction * m.reduce((a, b) => a + b, 0)));
    const expected = before.map((m, i) => largestInactive(m, training[i]!, k[i]!));
    // The modes rank differently here, so an inference-mode gradient cannot pass.
    expect(before.map((m, i) => largestInactive(m, inference[i]!, k[i]!))).not.toEqual(expected);
    const statistics = stateOf(model);
    expect(statistics.length).toBe(4); // two batch norms' running means and variances
    dynamicSparseHooks(model, CONFIG).batchEnd(batch);
    weights.forEach((w, i) => {
      const now = model.getMask(w.name);
      const grown = Array.from(now.keys()).filter((j) => before[i]![j] === 0 && now[j] === 1);
      expect(grown).toEqual(expected[i]);
      const values = readWeights(model, w);
      for (const j of grown) expect(values[j]).toBe(0);
    });
    expect(stateOf(model)).toEqual(statistics);
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  }, 60_000);

  it("ranks by the gradient of the loss fit trains (mse here), through fit", async () => {
    const model = await buildModel(SOURCE, { seed: 3 });
    applySparseStart(model, CONFIG);
    const batch = batchFor(model);
    const weights = prunableWeights(model).filter((w) => w.kind === "conv");
    const before = weights.map((w) => model.getMask(w.name));
    const k = before.map((m) => Math.floor(CONFIG.dropFraction * m.reduce((a, b) => a + b, 0)));
    const targets = { x: batch.x, y: tf.cast(tf.oneHot(batch.y as tf.Tensor1D, 3), "float32") }; // mse's
    const grownBy = async (lossName: LossName, data: Batch): Promise<number[][]> => {
      const gradients = await Promise.all(weights.map((w) => referenceGradient(model, w, data, true, lossName)));
      return before.map((m, i) => largestInactive(m, gradients[i]!, k[i]!));
    };
    const expected = await grownBy("mse", targets);
    expect(await grownBy("crossEntropy", batch)).not.toEqual(expected);
    // One SGD step at a learning rate of 1e-12 on the whole batch (fit takes no 0): it moves no weight by more than
    // rounding, so RigL ranks (to ranking precision) the gradient the reference took.
    await model.fit(targets, { epochs: 1, batchSize: SAMPLES, shuffle: false, loss: "mse", optimizer: "sgd", learningRate: 1e-12, growth: CONFIG });
    weights.forEach((w, i) => {
      const now = model.getMask(w.name);
      expect(Array.from(now.keys()).filter((j) => before[i]![j] === 0 && now[j] === 1)).toEqual(expected[i]);
    });
    tf.dispose([batch.x, batch.y, targets.y]);
    model.dispose();
  }, 60_000);
});
