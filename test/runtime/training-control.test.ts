/**
 * fit's control of a run: early stopping, validationSplit, checkpoints (and
 * their files), refused options, and tensors kept in check.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTrainingState, loadWeights, saveTrainingState, saveWeights } from "../../runtime/files.js";
import { tf, type FitOptions, type Model, type TrainingState } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));
const folder = async (): Promise<string> => {
  const made = await mkdtemp(join(tmpdir(), "deepstruct-control-"));
  folders.push(made);
  return made;
};

const X = [
  [0.5, -1.0],
  [1.5, 0.25],
  [-0.75, 0.8],
  [0.2, 1.1],
  [-1.3, -0.4],
  [0.9, -0.6],
  [0.1, 0.3],
  [-0.5, -0.9],
];
const target = ([a, b]: number[]): number => 3 * a! - 2 * b! + 0.5;
const rows = (from: number, to: number, sign = 1): { x: tf.Tensor2D; y: tf.Tensor2D } => ({
  x: tf.tensor2d(X.slice(from, to)),
  y: tf.tensor2d(
    X.slice(from, to).map((r) => sign * target(r)),
    [to - from, 1],
  ),
});
const linear = "network L { input 2 output 1 }";
const BLOCK = "input->output";
const sgd = { kind: "sgd", momentum: 0, learningRate: 0.05 } as const;
const bits = (model: Model): number[][] => model.parameters.map((p) => Array.from(new Uint32Array(Float32Array.from(p.variable.dataSync()).buffer)));

describe("early stopping", () => {
  it("stops after `patience` epochs without improvement and puts the best epoch's weights back", async () => {
    // Validation targets of the opposite sign: every epoch of training makes the held-out loss worse.
    const options: FitOptions = { epochs: 10, batchSize: 8, loss: "mse", shuffle: false, optimizer: sgd, validationData: rows(0, 8, -1) };
    const model = await buildModel(linear, { seed: 2 });
    const history = await model.fit(rows(0, 8), { ...options, earlyStopping: { patience: 2, restoreBest: true } });
    const losses = history.epochs.map((e) => e.valLoss!);
    expect(losses[1]).toBeGreaterThan(losses[0]!);
    expect(losses[2]).toBeGreaterThan(losses[1]!);
    expect(history.epochs).toHaveLength(3);
    expect(history).toMatchObject({ stopped: true, stopReason: "earlyStopping", earlyStopping: { monitor: "valLoss", bestEpoch: 1, best: losses[0], restored: true } });
    const once = await buildModel(linear, { seed: 2 });
    await once.fit(rows(0, 8), { ...options, epochs: 1 });
    expect(bits(model)).toEqual(bits(once));
  });

  it("a run early stopping ended resumes to nothing more, reporting the same stop", async () => {
    const options: FitOptions = {
      epochs: 10,
      batchSize: 8,
      loss: "mse",
      shuffle: false,
      optimizer: sgd,
      validationData: rows(0, 8, -1),
      earlyStopping: { patience: 1, restoreBest: true },
    };
    const model = await buildModel(linear, { seed: 2 });
    let last: TrainingState | undefined;
    const history = await model.fit(rows(0, 8), { ...options, checkpoint: (s) => void (last = s) });
    expect(last?.stopReason).toBe("earlyStopping");
    const before = bits(model);
    const again = await model.fit(rows(0, 8), { ...options, resume: last! });
    expect(bits(model)).toEqual(before);
    expect(again).toMatchObject({ stopped: true, stopReason: "earlyStopping", earlyStopping: history.earlyStopping!, resumedAfter: history.epochs.length });
    expect(again.epochs).toEqual(history.epochs);
  });

  it("patience 0 stops at the first epoch that does not improve by more than minDelta; without restoreBest the last weights stay", async () => {
    const options: FitOptions = { epochs: 6, batchSize: 4, loss: "mse", shuffle: false, optimizer: sgd, validationData: rows(0, 8) };
    const improving = await buildModel(linear, { seed: 2 });
    const all = await improving.fit(rows(0, 8), { ...options, earlyStopping: {} });
    expect(all.epochs).toHaveLength(6);
    expect(all).toMatchObject({ stopped: false, earlyStopping: { bestEpoch: 6, restored: false } });
    const improvements = all.epochs.slice(1).map((e, i) => all.epochs[i]!.valLoss! - e.valLoss!);
    const minDelta = Math.max(...improvements) * 1.01;
    const strict = await buildModel(linear, { seed: 2 });
    const history = await strict.fit(rows(0, 8), { ...options, earlyStopping: { minDelta } });
    expect(history.epochs).toHaveLength(2);
    expect(history.stopReason).toBe("earlyStopping");
    const twice = await buildModel(linear, { seed: 2 });
    await twice.fit(rows(0, 8), { ...options, epochs: 2 });
    expect(bits(strict)).toEqual(bits(twice));
  });

  it("monitors valAccuracy upwards", async () => {
    const model = await buildModel("network C { input 2 dense 4 output 2 }", { seed: 1 });
    const x = tf.tensor2d(X);
    const y = tf.tensor1d([1, 1, 0, 0, 1, 1, 0, 0], "int32");
    const history = await model.fit({ x, y }, { epochs: 8, batchSize: 4, validationData: { x, y }, earlyStopping: { monitor: "valAccuracy", patience: 3 } });
    const accuracies = history.epochs.map((e) => e.valAccuracy!);
    const best = history.earlyStopping!;
    expect(best.best).toBe(Math.max(...accuracies));
    expect(accuracies.indexOf(best.best) + 1).toBe(best.bestEpoch);
  });
});

describe("validationSplit", () => {
  it("holds out the last samples before shuffling, as Keras does: the same run as validationData of those samples", async () => {
    const options: FitOptions = { epochs: 3, batchSize: 2, loss: "mse", optimizer: sgd, seed: 4 };
    const split = await buildModel(linear, { seed: 3 });
    // ⌊8 · 0.75⌋ = 6 train, 2 held out.
    const a = await split.fit(rows(0, 8), { ...options, validationSplit: 0.25 });
    const given = await buildModel(linear, { seed: 3 });
    const b = await given.fit(rows(0, 6), { ...options, validationData: rows(6, 8) });
    expect(bits(split)).toEqual(bits(given));
    expect(a.epochs.map((e) => e.valLoss)).toEqual(b.epochs.map((e) => e.valLoss));
    expect(a.epochs.at(-1)!.valLoss).toBe(split.evaluate(rows(6, 8), { loss: "mse" }).loss);
  });
});

describe("checkpoints", () => {
  it("are called after each completed epoch, after onEpochEnd, never for an epoch whose loss is not finite", async () => {
    const model = await buildModel(linear, { seed: 1 });
    const calls: string[] = [];
    const run = model.fit(rows(0, 8), {
      epochs: 4,
      batchSize: 4,
      loss: "mse",
      callbacks: {
        onEpochEnd: (logs) => {
          calls.push(`epoch ${logs.epoch}`);
          // Weights that make the next epoch's squared error overflow.
          if (logs.epoch === 2) model.setWeights(BLOCK, [3e38, 3e38]);
        },
      },
      checkpoint: (state) => void calls.push(`checkpoint ${state.epochsCompleted}`),
    });
    await expect(run).rejects.toThrow(/^L\.fit: the loss became Infinity at epoch 3, step 1 of 2/);
    expect(calls).toEqual(["epoch 1", "checkpoint 1", "epoch 2", "checkpoint 2"]);
  });

  it("are not made for an epoch a callback stopped halfway", async () => {
    const model = await buildModel(linear, { seed: 1 });
    const saved: number[] = [];
    const history = await model.fit(rows(0, 8), {
      epochs: 4,
      batchSize: 2,
      loss: "mse",
      callbacks: { onBatchEnd: (logs, control) => void (logs.epoch === 2 && logs.batch === 2 && control.stop()) },
      checkpoint: (state) => void saved.push(state.epochsCompleted),
    });
    expect(saved).toEqual([1]);
    expect(history).toMatchObject({ stopped: true, stopReason: "callback" });
  });

  it("round-trip through files; a changed byte or a missing file is refused naming the file; old binaries are removed", async () => {
    const dir = await folder();
    const model = await buildModel("network S { input 2 dense 4 output 1 }", { seed: 1 });
    const states: TrainingState[] = [];
    await model.fit(rows(0, 8), { epochs: 2, batchSize: 4, loss: "mse", validationData: rows(0, 4), checkpoint: (s) => void states.push(s) });
    await saveWeights(model, dir);
    const odd: TrainingState = { ...states[1]!, history: states[1]!.history.map((e, i) => (i === 0 ? { ...e, valLoss: Number.NaN, loss: Number.POSITIVE_INFINITY } : e)) };
    await saveTrainingState(dir, states[0]!);
    await saveTrainingState(dir, odd);
    const loaded = await loadTrainingState(dir);
    expect(loaded).toEqual(odd);
    expect(loaded.optimizer.slots[0]!.values).toBeInstanceOf(Float32Array);
    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith("training-state-"))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith("weights-"))).toHaveLength(1);
    const binary = join(
      dir,
      files.find((f) => f.startsWith("training-state-"))!,
    );
    const bytes = await readFile(binary);
    bytes[5]! ^= 1;
    await writeFile(binary, bytes);
    await expect(loadTrainingState(dir)).rejects.toThrow(new RegExp(`${binary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} has .* bytes with SHA-256 .*; the file is damaged`));
    await rm(join(dir, "training-state.json"));
    await expect(loadTrainingState(dir)).rejects.toThrow(/cannot load the training state: no such file .*training-state\.json/);
  });
});

describe("refused options", () => {
  const cases: [string, Partial<FitOptions>, RegExp][] = [
    ["weightDecay", { weightDecay: -1 }, /weightDecay must be a non-negative number, got -1/],
    ["l2", { l2: "0.1" as unknown as number }, /l2 must be a non-negative number, got 0\.1/],
    ["clipNorm", { clipNorm: 0 }, /clipNorm must be a positive number, got 0/],
    ["clipValue", { clipValue: Number.NaN }, /clipValue must be a positive number, got NaN/],
    ["validationSplit", { validationSplit: 1 }, /validationSplit must be a fraction strictly between 0 and 1, got 1/],
    ["validationSplit too large", { validationSplit: 0.9 }, /validationSplit 0\.9 of 8 samples leaves no sample to train on/],
    ["validationSplit and validationData", { validationSplit: 0.5, validationData: rows(0, 2) }, /give validationData or validationSplit, not both/],
    ["learningRate", { learningRate: -0.1 }, /learningRate must be a positive number, got -0\.1/],
    ["learningRate.every", { learningRate: { kind: "step", every: 0, factor: 0.5 } }, /learningRate\.every must be a positive integer \(epochs\), got 0/],
    ["learningRate.factor", { learningRate: { kind: "step", every: 1, factor: -2 } }, /learningRate\.factor must be a positive number, got -2/],
    ["learningRate.minimum", { learningRate: { kind: "cosine", minimum: 1 } }, /learningRate\.minimum must be a number in \[0, initial = 0\.001\], got 1/],
    ["warm-up twice", { learningRate: { kind: "constant", warmupEpochs: 1, warmupSteps: 2 } }, /give learningRate\.warmupEpochs or learningRate\.warmupSteps, not both/],
    ["learningRate.warmupSteps", { learningRate: { kind: "constant", warmupSteps: 1.5 } }, /learningRate\.warmupSteps must be a non-negative integer, got 1\.5/],
    ["learningRate.kind", { learningRate: { kind: "linear" } as unknown as FitOptions["learningRate"] }, /learningRate\.kind must be "constant", "step" or "cosine", got "linear"/],
    ["earlyStopping without validation", { earlyStopping: {} }, /earlyStopping monitors valLoss, which needs validationData or validationSplit/],
    ["earlyStopping.monitor", { validationSplit: 0.5, earlyStopping: { monitor: "loss" as "valLoss" } }, /earlyStopping\.monitor must be "valLoss" or "valAccuracy", got "loss"/],
    ["earlyStopping.patience", { validationSplit: 0.5, earlyStopping: { patience: -1 } }, /earlyStopping\.patience must be a non-negative integer \(epochs\), got -1/],
    ["earlyStopping.minDelta", { validationSplit: 0.5, earlyStopping: { minDelta: -0.5 } }, /earlyStopping\.minDelta must be a non-negative number, got -0\.5/],
    ["valAccuracy under mse", { validationSplit: 0.5, earlyStopping: { monitor: "valAccuracy" } }, /earlyStopping\.monitor "valAccuracy" needs the crossEntropy loss/],
    ["checkpoint", { checkpoint: "dir" as unknown as FitOptions["checkpoint"] }, /checkpoint must be a function \(state\) => void, got string/],
    ["resume", { resume: 3 as unknown as TrainingState }, /resume must be a TrainingState, got 3/],
    ["resume of something else", { resume: {} as TrainingState }, /resume expects a TrainingState \(from a checkpoint or loadTrainingState\)/],
  ];

  it.each(cases)("%s: an Error naming the option and what was expected, no tensor left behind", async (_, options, message) => {
    const model = await buildModel(linear);
    const data = rows(0, 8);
    const before = tf.memory().numTensors;
    const error = await model.fit(data, { epochs: 2, loss: "mse", ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^L\.fit: /);
    expect((error as Error).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("tensors", () => {
  it("an epoch leaves as many tensors as it found, with every option on; fit and resume free what they made", async () => {
    const source = "network M { input 6 dense 12 output 2 prune gradual(initial=0, final=0.5, start=2, end=20, every=2) }";
    for (const optimizer of ["adam", "sgd"] as const) {
      // Execution dense: under auto the pruned layer re-plans to a graph kernel, whose structure the model then holds instead (test/runtime/replan.test.ts).
      const model = await buildModel(source, { seed: 1, execution: "dense" });
      const x = tf.randomUniform([64, 6], -1, 1, "float32", 2);
      const y = tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 2),
        "int32",
      );
      const counts: number[] = [];
      const states: TrainingState[] = [];
      const options: FitOptions = {
        epochs: 4,
        batchSize: 8,
        optimizer,
        learningRate: { kind: "cosine", warmupSteps: 3 },
        weightDecay: 0.01,
        l2: 0.001,
        clipNorm: 1,
        clipValue: 0.5,
        validationSplit: 0.25,
        earlyStopping: { patience: 5, restoreBest: true },
        callbacks: { onEpochBegin: () => void counts.push(tf.memory().numTensors) },
        checkpoint: async (s) => {
          states.push(s);
          if (s.epochsCompleted === 2) await saveWeights(model, dir);
        },
      };
      const dir = await folder();
      const before = tf.memory().numTensors;
      await model.fit({ x, y }, options);
      // Epoch 1 makes the optimizer's slots; every epoch after finds what the one before found.
      expect(new Set(counts.slice(1)).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
      await loadWeights(model, dir);
      await model.fit({ x, y }, { ...options, epochs: 5, resume: states[1]! });
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
