/**
 * Weight decay, L2, learning-rate schedules and clipping against updates
 * computed by hand: a network with no hidden layer (y = x·w + b) under mean
 * squared error, so every gradient is (2/n)·Σ residual·x, and the optimizer
 * (SGD without momentum, or Adam) is a few lines of arithmetic here.
 */
import { describe, expect, it } from "vitest";
import { tf, type FitOptions, type Model } from "../../runtime/index.js";
import { learningRates } from "../../runtime/training/schedules.js";
import { buildModel } from "../support/models.js";

const X = [
  [0.5, -1.0],
  [1.5, 0.25],
  [-0.75, 0.8],
  [0.2, 1.1],
  [-1.3, -0.4],
  [0.9, -0.6],
];
const Y = X.map(([a, b]) => 3 * a! - 2 * b! + 0.5);
const data = (): { x: tf.Tensor2D; y: tf.Tensor2D } => ({ x: tf.tensor2d(X), y: tf.tensor2d(Y, [Y.length, 1]) });

interface Simulation {
  readonly optimizer: "sgd" | "adam";
  /** The rate of each step. */
  readonly rates: readonly number[];
  readonly batchSize: number;
  readonly l2?: number;
  readonly weightDecay?: number;
  readonly clipNorm?: number;
  readonly clipValue?: number;
}

/** The weights and bias after the steps, in doubles; and each step's loss (with the L2 term). */
function simulate(w0: readonly number[], b0: number, s: Simulation): { w: number[]; b: number; losses: number[] } {
  const w = [...w0];
  let b = b0;
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const losses: number[] = [];
  const batches = Math.ceil(X.length / s.batchSize);
  s.rates.forEach((lr, t) => {
    const start = (t % batches) * s.batchSize;
    const rows = X.slice(start, start + s.batchSize);
    const residuals = rows.map((x, i) => x[0]! * w[0]! + x[1]! * w[1]! + b - Y[start + i]!);
    const n = rows.length;
    const l2 = s.l2 ?? 0;
    losses.push(residuals.reduce((sum, r) => sum + r * r, 0) / n + l2 * (w[0]! ** 2 + w[1]! ** 2));
    let g = [0, 1].map((j) => (2 / n) * residuals.reduce((sum, r, i) => sum + r * rows[i]![j]!, 0) + 2 * l2 * w[j]!);
    g.push((2 / n) * residuals.reduce((sum, r) => sum + r, 0));
    if (s.clipNorm !== undefined) {
      const norm = Math.sqrt(g.reduce((sum, x) => sum + x * x, 0));
      g = g.map((x) => (x * s.clipNorm!) / Math.max(norm, s.clipNorm!));
    }
    if (s.clipValue !== undefined) g = g.map((x) => Math.min(s.clipValue!, Math.max(-s.clipValue!, x)));
    const params = [w[0]!, w[1]!, b];
    const step = g.map((gi, j) => {
      if (s.optimizer === "sgd") return lr * gi;
      m[j] = 0.9 * m[j]! + 0.1 * gi;
      v[j] = 0.999 * v[j]! + 0.001 * gi * gi;
      const mHat = m[j]! / (1 - 0.9 ** (t + 1));
      const vHat = v[j]! / (1 - 0.999 ** (t + 1));
      return (lr * mHat) / (Math.sqrt(vHat) + 1e-7);
    });
    // Decoupled decay: on the weights (not the bias) as they were before the step.
    const decay = (j: number): number => (j < 2 ? lr * (s.weightDecay ?? 0) * params[j]! : 0);
    w[0] = params[0]! - step[0]! - decay(0);
    w[1] = params[1]! - step[1]! - decay(1);
    b = params[2]! - step[2]!;
  });
  return { w, b, losses };
}

const linear = "network L { input 2 output 1 }";
const BLOCK = "input->output";

async function trained(options: Omit<FitOptions, "epochs" | "loss" | "shuffle"> & { epochs: number }): Promise<{ model: Model; w0: number[]; b0: number; losses: number[] }> {
  const model = await buildModel(linear, { seed: 5 });
  const w0 = Array.from(model.getWeights(BLOCK));
  const b0 = model.getBias("output")[0]!;
  const history = await model.fit(data(), { loss: "mse", shuffle: false, ...options });
  return { model, w0, b0, losses: history.epochs.map((e) => e.loss) };
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 2e-5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i]! - e), `entry ${i}: ${actual[i]} against ${e}`).toBeLessThan(tolerance * Math.max(1, Math.abs(e))));
}

function expectSimulated(model: Model, expected: { w: number[]; b: number }): void {
  expectClose(model.getWeights(BLOCK), expected.w);
  expectClose(model.getBias("output"), [expected.b]);
}

const sgd = { kind: "sgd", momentum: 0, learningRate: 0.01 } as const;

describe("learning-rate schedules", () => {
  it("a number is a constant rate that replaces the optimizer's", async () => {
    const { model, w0, b0 } = await trained({ epochs: 4, batchSize: 6, optimizer: sgd, learningRate: 0.05 });
    expectSimulated(model, simulate(w0, b0, { optimizer: "sgd", rates: [0.05, 0.05, 0.05, 0.05], batchSize: 6 }));
  });

  it("step: every 2 epochs × 0.5, per step over 3 batches an epoch", async () => {
    const options = { kind: "step", initial: 0.1, every: 2, factor: 0.5 } as const;
    const rates = Array.from({ length: 15 }, (_, t) => 0.1 * 0.5 ** Math.floor(Math.floor(t / 3) / 2));
    const { model, w0, b0 } = await trained({ epochs: 5, batchSize: 2, optimizer: sgd, learningRate: options });
    expectSimulated(model, simulate(w0, b0, { optimizer: "sgd", rates, batchSize: 2 }));
    const history = await model.fit(data(), { epochs: 5, batchSize: 2, loss: "mse", optimizer: sgd, learningRate: options });
    expect(history.epochs.map((e) => e.learningRate)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it("cosine to a minimum after a linear warm-up of 3 steps, per step", async () => {
    const [initial, minimum, warm, total] = [0.08, 0.01, 3, 12];
    const rates = Array.from({ length: total }, (_, t) =>
      t < warm ? (initial * (t + 1)) / warm : minimum + ((initial - minimum) * (1 + Math.cos((Math.PI * (t - warm)) / (total - warm)))) / 2,
    );
    const { model, w0, b0 } = await trained({ epochs: 4, batchSize: 2, optimizer: sgd, learningRate: { kind: "cosine", initial, minimum, warmupSteps: warm } });
    expectSimulated(model, simulate(w0, b0, { optimizer: "sgd", rates, batchSize: 2 }));
  });

  it("warm-up by epochs is warm-up by epochs × batches steps; a schedule's initial defaults to the optimizer's rate", () => {
    const run = { epochs: 6, batchesPerEpoch: 4 };
    const byEpochs = learningRates("t", { kind: "constant", warmupEpochs: 2 }, 0.3, run);
    const bySteps = learningRates("t", { kind: "constant", initial: 0.3, warmupSteps: 8 }, 1, run);
    for (let t = 0; t < 24; t++) expect(byEpochs(t)).toBe(bySteps(t));
    expect(byEpochs(0)).toBeCloseTo(0.3 / 8, 15);
    expect(byEpochs(7)).toBe(0.3);
    expect(byEpochs(23)).toBe(0.3);
    const cosine = learningRates("t", { kind: "cosine" }, 0.2, run);
    expect(cosine(0)).toBe(0.2);
    expect(cosine(12)).toBeCloseTo(0.1, 12);
    expect(cosine(23)).toBeGreaterThan(0);
  });
});

describe("weight decay and L2", () => {
  it("decoupled decay with SGD: w ← w − lr·g − lr·λ·w, the bias untouched by λ", async () => {
    const { model, w0, b0 } = await trained({ epochs: 6, batchSize: 3, optimizer: { ...sgd, learningRate: 0.05 }, weightDecay: 0.4 });
    expectSimulated(model, simulate(w0, b0, { optimizer: "sgd", rates: Array(12).fill(0.05), batchSize: 3, weightDecay: 0.4 }));
  });

  it("decoupled decay with Adam stays outside Adam's moments (AdamW), with a scheduled rate", async () => {
    const rates = Array.from({ length: 8 }, (_, t) => 0.02 * 0.5 ** Math.floor(Math.floor(t / 2) / 2));
    const options = { epochs: 4, batchSize: 3, optimizer: { kind: "adam" } as const, learningRate: { kind: "step", initial: 0.02, every: 2, factor: 0.5 } as const };
    const { model, w0, b0 } = await trained({ ...options, weightDecay: 2 });
    expectSimulated(model, simulate(w0, b0, { optimizer: "adam", rates, batchSize: 3, weightDecay: 2 }));
    // The same run without decay differs: the term did something.
    const plain = await trained(options);
    expect(Math.abs(plain.model.getWeights(BLOCK)[0]! - model.getWeights(BLOCK)[0]!)).toBeGreaterThan(1e-4);
  });

  it("L2 adds λ·Σw² to the loss (reported) and 2λw to the gradient, not to the bias", async () => {
    const { model, w0, b0, losses } = await trained({ epochs: 5, batchSize: 6, optimizer: { ...sgd, learningRate: 0.05 }, l2: 0.3 });
    const expected = simulate(w0, b0, { optimizer: "sgd", rates: Array(5).fill(0.05), batchSize: 6, l2: 0.3 });
    expectSimulated(model, expected);
    expectClose(losses, expected.losses);
  });

  it("neither moves a masked weight's stored value, under Adam and SGD", async () => {
    for (const kind of ["adam", "sgd"] as const) {
      const model = await buildModel("network S { input 6 dense 16 output 2 }", { seed: 4 });
      const block = "input->dense1";
      const mask = model.getMask(block).map((_, i) => (i % 3 === 0 ? 0 : 1));
      model.setMask(block, mask);
      const weight = model.parameters.find((p) => p.name === "dense1.weight")!.variable;
      const before = Float32Array.from(weight.dataSync());
      const x = tf.randomUniform([40, 6], -1, 1, "float32", 3);
      const y = tf.tensor1d(
        Array.from({ length: 40 }, (_, i) => i % 2),
        "int32",
      );
      await model.fit({ x, y }, { epochs: 2, batchSize: 8, optimizer: kind, weightDecay: 0.5, l2: 0.1 });
      const after = weight.dataSync();
      let moved = 0;
      mask.forEach((live, i) => (live === 0 ? expect(after[i]).toBe(before[i]) : after[i] !== before[i] && moved++));
      expect(moved).toBe(mask.filter((m) => m === 1).length);
    }
  });
});

describe("gradient clipping", () => {
  it("clipNorm rescales all gradients by clipNorm / global norm", async () => {
    const { model, w0, b0 } = await trained({ epochs: 5, batchSize: 6, optimizer: { ...sgd, learningRate: 0.1 }, clipNorm: 0.5 });
    const expected = simulate(w0, b0, { optimizer: "sgd", rates: Array(5).fill(0.1), batchSize: 6, clipNorm: 0.5 });
    expectSimulated(model, expected);
    // It did clip: unclipped steps end elsewhere.
    const free = simulate(w0, b0, { optimizer: "sgd", rates: Array(5).fill(0.1), batchSize: 6 });
    expect(Math.abs(free.w[0]! - expected.w[0]!)).toBeGreaterThan(0.01);
  });

  it("clipValue clips each entry; with clipNorm, the norm first (Keras's order)", async () => {
    const value = await trained({ epochs: 4, batchSize: 3, optimizer: { ...sgd, learningRate: 0.1 }, clipValue: 0.3 });
    expectSimulated(value.model, simulate(value.w0, value.b0, { optimizer: "sgd", rates: Array(8).fill(0.1), batchSize: 3, clipValue: 0.3 }));
    const both = await trained({ epochs: 4, batchSize: 3, optimizer: { ...sgd, learningRate: 0.1 }, clipNorm: 1, clipValue: 0.3 });
    expectSimulated(both.model, simulate(both.w0, both.b0, { optimizer: "sgd", rates: Array(8).fill(0.1), batchSize: 3, clipNorm: 1, clipValue: 0.3 }));
  });

  it("a bound never reached changes no bit", async () => {
    const free = await trained({ epochs: 3, batchSize: 2, optimizer: "adam" });
    const bounded = await trained({ epochs: 3, batchSize: 2, optimizer: "adam", clipNorm: 1e6, clipValue: 1e6 });
    expect(bounded.model.getWeights(BLOCK)).toEqual(free.model.getWeights(BLOCK));
    expect(bounded.model.getBias("output")).toEqual(free.model.getBias("output"));
  });
});
