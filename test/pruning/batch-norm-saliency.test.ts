/**
 * The gradient saliencies (taylor, obd, snip) of a conv that batch norm
 * follows, entry by entry, against a float64 reference: the network written
 * out by hand (conv, training-mode batch norm, relu, dense, relu, dense,
 * softmax cross-entropy) and its gradient taken by central differences. The
 * reference normalises each batch by its own statistics, the loss fit
 * trains; an inference-mode pass (the running statistics) scores the convs
 * of a fresh network through a batch norm that is still the identity.
 */
import { describe, expect, it } from "vitest";
import { computeSaliency, prune, tf, type Model } from "../../runtime/index.js";
import { prunableWeights, readWeights, weightVariable } from "../../runtime/pruning/weights.js";
import { loss } from "../../runtime/training/losses.js";
import { createRandom } from "../../runtime/random.js";
import { buildModel } from "../support/models.js";

const SOURCE = "network C { input [1, 5, 5] features [conv(2, kernel=3), batch_norm()] dense 4 output 3 }";
const [SIDE, KERNEL, CHANNELS, OUT_SIDE, HIDDEN, CLASSES, EPSILON] = [5, 3, 2, 3, 4, 3, 1e-5];
const FEATURES = CHANNELS * OUT_SIDE * OUT_SIDE;

/** Every parameter the loss reads, as float64 copies of the model's values. */
interface Parameters {
  conv: Float64Array; // HWIO [3, 3, 1, 2], masked entries 0
  convBias: Float64Array;
  gain: Float64Array;
  shift: Float64Array;
  hidden: Float64Array; // [18, 4]
  hiddenBias: Float64Array;
  output: Float64Array; // [4, 3]
  outputBias: Float64Array;
}

function parametersOf(model: Model): Parameters {
  const variable = (name: string): Float64Array => Float64Array.from(model.parameters.find((p) => p.name === name)!.variable.dataSync());
  const conv = prunableWeights(model).find((w) => w.name === "conv1")!;
  const mask = model.getMask("conv1");
  return {
    conv: Float64Array.from(readWeights(model, conv), (w, i) => w * mask[i]!),
    convBias: variable("conv1.bias"),
    gain: variable("bn1.gain"),
    shift: variable("bn1.shift"),
    hidden: Float64Array.from(model.getWeights("features->dense1")),
    hiddenBias: Float64Array.from(model.getBias("dense1")),
    output: Float64Array.from(model.getWeights("dense1->output")),
    outputBias: Float64Array.from(model.getBias("output")),
  };
}

/** The conv's output maps [sample][channel · 9 + row · 3 + col] for channels-first inputs. */
function convMaps(p: Parameters, x: Float32Array, samples: number): Float64Array[] {
  const maps: Float64Array[] = [];
  for (let n = 0; n < samples; n++) {
    const out = new Float64Array(FEATURES);
    for (let o = 0; o < CHANNELS; o++)
      for (let r = 0; r < OUT_SIDE; r++)
        for (let c = 0; c < OUT_SIDE; c++) {
          let sum = p.convBias[o]!;
          for (let kr = 0; kr < KERNEL; kr++)
            for (let kc = 0; kc < KERNEL; kc++) sum += p.conv[(kr * KERNEL + kc) * CHANNELS + o]! * x[n * SIDE * SIDE + (r + kr) * SIDE + c + kc]!;
          out[o * OUT_SIDE * OUT_SIDE + r * OUT_SIDE + c] = sum;
        }
    maps.push(out);
  }
  return maps;
}

/** Training-mode batch norm (the batch's mean and biased variance per channel), then relu, in place. */
function normalise(p: Parameters, maps: Float64Array[]): void {
  const per = OUT_SIDE * OUT_SIDE;
  for (let o = 0; o < CHANNELS; o++) {
    const values = maps.flatMap((m) => [...m.subarray(o * per, (o + 1) * per)]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    for (const m of maps) for (let j = o * per; j < (o + 1) * per; j++) m[j] = Math.max(0, (p.gain[o]! * (m[j]! - mean)) / Math.sqrt(variance + EPSILON) + p.shift[o]!);
  }
}

function dense(input: Float64Array, weights: Float64Array, bias: Float64Array, relu: boolean): Float64Array {
  const out = Float64Array.from(bias);
  for (let i = 0; i < input.length; i++) for (let j = 0; j < out.length; j++) out[j]! += input[i]! * weights[i * out.length + j]!;
  return relu ? out.map((v) => Math.max(0, v)) : out;
}

/** Mean softmax cross-entropy of one batch. */
function referenceLoss(p: Parameters, x: Float32Array, labels: readonly number[]): number {
  const maps = convMaps(p, x, labels.length);
  normalise(p, maps);
  let total = 0;
  maps.forEach((features, n) => {
    const logits = dense(dense(features, p.hidden, p.hiddenBias, true), p.output, p.outputBias, false);
    const top = Math.max(...logits);
    const log = Math.log(logits.reduce((a, v) => a + Math.exp(v - top), 0)) + top;
    total += log - logits[labels[n]!]!;
  });
  return total / labels.length;
}

/** ∂L/∂w by central differences for every entry of the three prunable weights, by their names. */
function referenceGradients(p: Parameters, x: Float32Array, labels: readonly number[]): Map<string, Float64Array> {
  const step = 1e-6;
  const of = (values: Float64Array): Float64Array =>
    values.map((v, i) => {
      values[i] = v + step;
      const up = referenceLoss(p, x, labels);
      values[i] = v - step;
      const down = referenceLoss(p, x, labels);
      values[i] = v;
      return (up - down) / (2 * step);
    });
  return new Map([
    ["conv1", of(p.conv)],
    ["features->dense1", of(p.hidden)],
    ["dense1->output", of(p.output)],
  ]);
}

/** The reference saliency over `batchSize` batches, as saliency.ts defines each. */
function referenceSaliency(model: Model, name: "taylor" | "obd" | "snip", x: Float32Array, labels: readonly number[], batchSize: number): Map<string, Float64Array> {
  const p = parametersOf(model);
  const weights = new Map([
    ["conv1", p.conv],
    ["features->dense1", p.hidden],
    ["dense1->output", p.output],
  ]);
  const sums = new Map([...weights].map(([k, w]) => [k, new Float64Array(w.length)]));
  const batches = name === "snip" ? 1 : Math.ceil(labels.length / batchSize);
  for (let b = 0; b < batches; b++) {
    const [start, end] = name === "snip" ? [0, labels.length] : [b * batchSize, Math.min(labels.length, (b + 1) * batchSize)];
    const gradients = referenceGradients(p, x.subarray(start * SIDE * SIDE, end * SIDE * SIDE), labels.slice(start, end));
    for (const [k, w] of weights) {
      const g = gradients.get(k)!;
      const s = sums.get(k)!;
      for (let i = 0; i < w.length; i++) s[i]! += name === "obd" ? (0.5 * g[i]! ** 2 * w[i]! ** 2) / batches : Math.abs(w[i]! * g[i]!);
    }
  }
  if (name === "snip") {
    const total = [...sums.values()].reduce((a, s) => a + s.reduce((x, y) => x + y, 0), 0);
    for (const s of sums.values()) s.forEach((v, i) => (s[i] = v / total));
  }
  return sums;
}

/** A fresh network with batch-norm parameters and running statistics away from their defaults, and one conv and one dense entry pruned. */
async function network(): Promise<Model> {
  const model = await buildModel(SOURCE, { seed: 3 });
  const set = (name: string, values: number[]): void => {
    const p = [...model.parameters, ...model.state].find((q) => q.name === name)!;
    p.variable.assign(tf.tensor1d(values));
  };
  set("bn1.gain", [1.5, 0.7]);
  set("bn1.shift", [0.1, -0.2]);
  set("bn1.runningMean", [0.3, -0.1]);
  set("bn1.runningVariance", [2, 0.5]);
  const convMask = model.getMask("conv1");
  convMask[5] = 0;
  model.setMask("conv1", convMask);
  const denseMask = model.getMask("features->dense1");
  denseMask[7] = 0;
  model.setMask("features->dense1", denseMask);
  return model;
}

function batchOf(samples: number): { x: Float32Array; labels: number[] } {
  const random = createRandom(11);
  const x = Float32Array.from({ length: samples * SIDE * SIDE }, () => random.next() * 2 - 1);
  return { x, labels: Array.from({ length: samples }, (_, n) => n % CLASSES) };
}

const running = (model: Model): number[][] => model.state.map((s) => [...s.variable.dataSync()]);

describe("gradient saliencies of a conv that batch norm follows, against a float64 reference", () => {
  it.each(["taylor", "obd", "snip"] as const)("%s: every live entry of the conv and the dense blocks as the training-mode loss's gradient gives it", async (name) => {
    const model = await network();
    const { x, labels } = batchOf(24);
    const data = { x: tf.tensor(x, [labels.length, 1, SIDE, SIDE]), y: tf.tensor1d(labels, "int32") };
    const before = running(model);
    const reference = referenceSaliency(model, name, x, labels, 8);
    const scores = computeSaliency(model, name, { data, batchSize: 8 });
    for (const [weight, expected] of reference) {
      const mask = model.getMask(weight);
      const got = scores.get(weight)!;
      const scale = Math.max(...expected);
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < expected.length; i++) if (mask[i] === 1) expect(Math.abs(got[i]! - expected[i]!), `${name} ${weight}[${i}]`).toBeLessThan(2e-3 * scale);
    }
    // The pass read batch statistics without moving the running ones the network is evaluated with.
    expect(running(model)).toEqual(before);
    tf.dispose([data.x, data.y]);
    model.dispose();
  });

  it("batch norm makes the conv's scores per output channel cancel in sign (Σ w·∂L/∂w = 0) but not in magnitude", async () => {
    const model = await network();
    const { x, labels } = batchOf(16);
    const gradients = referenceGradients(parametersOf(model), x, labels);
    const w = parametersOf(model).conv;
    const g = gradients.get("conv1")!;
    for (let o = 0; o < CHANNELS; o++) {
      let [signed, magnitude] = [0, 0];
      for (let i = o; i < w.length; i += CHANNELS) [signed, magnitude] = [signed + w[i]! * g[i]!, magnitude + Math.abs(w[i]! * g[i]!)];
      // Exactly 0 but for ε in σ = √(var + ε), which makes the scale invariance approximate.
      expect(Math.abs(signed)).toBeLessThan(1e-4 * magnitude);
      expect(magnitude).toBeGreaterThan(1e-3);
    }
    model.dispose();
  });

  it("global taylor pruning removes the entries of lowest reference score across the conv and the dense blocks", async () => {
    const model = await network();
    const { x, labels } = batchOf(24);
    const data = { x: tf.tensor(x, [labels.length, 1, SIDE, SIDE]), y: tf.tensor1d(labels, "int32") };
    const reference = referenceSaliency(model, "taylor", x, labels, 64);
    const live = [...reference].flatMap(([weight, s]) => {
      const mask = model.getMask(weight);
      return [...s].flatMap((v, i) => (mask[i] === 1 ? [{ key: `${weight}[${i}]`, v }] : []));
    });
    const count = Math.floor(live.length / 2);
    const expected = live
      .sort((a, b) => a.v - b.v)
      .slice(0, count)
      .map((e) => e.key);
    const masksBefore = new Map([...reference.keys()].map((k) => [k, model.getMask(k)]));
    prune(model, { amount: { count }, saliency: "taylor", data, scope: "global" });
    const pruned = [...masksBefore].flatMap(([weight, before]) => {
      const after = model.getMask(weight);
      return [...before].flatMap((m, i) => (m === 1 && after[i] === 0 ? [`${weight}[${i}]`] : []));
    });
    // Entries whose scores tie within float32 error may swap; all but those must agree.
    const agree = pruned.filter((k) => expected.includes(k)).length;
    expect(agree).toBeGreaterThanOrEqual(count - 2);
    expect(pruned.filter((k) => k.startsWith("conv1")).length).toBeGreaterThan(0);
    tf.dispose([data.x, data.y]);
    model.dispose();
  });

  it("a cell network's convs too: |w · ∂L/∂w| of the training-mode loss (tf.grad of predict in training mode), running statistics kept", async () => {
    const model = await buildModel(
      "cell block = [conv(4, kernel=3, padding=same), batch_norm()]\ngraph g = balanced_tree(2, 1)\nnetwork N { input [1, 6, 6] structure g cells block head 5 output 3 }",
      { seed: 6 },
    );
    const random = createRandom(12);
    const samples = 12;
    const data = {
      x: tf.tensor(
        Float32Array.from({ length: samples * 36 }, () => random.next()),
        [samples, 1, 6, 6],
      ),
      y: tf.tensor1d(
        Array.from({ length: samples }, (_, n) => n % 3),
        "int32",
      ),
    };
    const convs = prunableWeights(model).filter((w) => w.kind === "conv");
    expect(convs.length).toBeGreaterThan(3);
    const before = running(model);
    const variables = convs.map((w) => weightVariable(model, w));
    const gradients = tf.variableGrads(() => loss("crossEntropy", model.predict(data.x, { training: true }) as tf.Tensor2D, data.y), variables).grads;
    const expected = convs.map((w, i) => {
      const g = gradients[variables[i]!.name]!.dataSync();
      return Array.from(readWeights(model, w), (v, k) => Math.abs(v * g[k]!));
    });
    model.state.forEach((s, i) => s.variable.assign(tf.tensor1d(before[i]!)));
    const scores = computeSaliency(model, "taylor", { data, batchSize: samples }, convs);
    convs.forEach((w, i) => {
      const got = scores.get(w.name)!;
      expected[i]!.forEach((e, k) => expect(got[k], `${w.name}[${k}]`).toBeCloseTo(e, 6));
    });
    expect(running(model)).toEqual(before);
    tf.dispose([data.x, data.y, ...Object.values(gradients)]);
    model.dispose();
  });
});
