/**
 * A run interrupted after epoch k and resumed from its files — a new model
 * loaded from the saved weights, a new optimizer, the state read back by
 * loadTrainingState — ends with the same bits as the uninterrupted run.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel, loadTrainingState, saveTrainingState, saveWeights } from "../../runtime/files.js";
import { createRandom, prunableWeights, tf, type EpochLogs, type FitOptions, type History, type Model, type TrainingState } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

/** Two classes split by a hyperplane in 6 dimensions. */
function classes(samples: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const random = createRandom(seed);
  const x = Array.from({ length: samples * 6 }, () => random.uniform(-1, 1));
  const y = Array.from({ length: samples }, (_, i) => (x[i * 6]! - 0.7 * x[i * 6 + 1]! + 0.4 * x[i * 6 + 4]! > 0 ? 1 : 0));
  return { x: tf.tensor2d(x, [samples, 6]), y: tf.tensor1d(y, "int32") };
}

/** Every parameter's bits and every mask (dense blocks, convs, recurrent weights). */
function fingerprint(model: Model): { parameters: Record<string, number[]>; masks: Record<string, number[]> } {
  return {
    parameters: Object.fromEntries(model.parameters.map((p) => [p.name, Array.from(new Uint32Array(Float32Array.from(p.variable.dataSync()).buffer))])),
    masks: Object.fromEntries(prunableWeights(model).map((w) => [w.name, Array.from(model.getMask(w.name))])),
  };
}

/** The history without wall-clock times. */
const timeless = (history: History): Omit<EpochLogs, "seconds">[] => history.epochs.map(({ seconds: _, ...rest }) => rest);

interface Case {
  readonly name: string;
  readonly source: string;
  readonly options: Omit<FitOptions, "epochs">;
}

const small = "network S { input 6 dense 16 output 2 }";
const cases: Case[] = [
  // 10 steps an epoch: after 20, tfjs's pow(β₂, 21) is not the running product β₂²¹ (it is after 16), so this needs Adam's accumulators restored as saved.
  { name: "Adam, shuffled, with validation data", source: small, options: { batchSize: 12, seed: 3, validationData: classes(40, 8) } },
  {
    name: "SGD with momentum, a cosine schedule with warm-up, weight decay, L2 and clipping",
    source: small,
    options: {
      batchSize: 16,
      seed: 4,
      optimizer: { kind: "sgd", momentum: 0.9, learningRate: 0.05 },
      learningRate: { kind: "cosine", minimum: 0.001, warmupEpochs: 1 },
      weightDecay: 0.01,
      l2: 0.001,
      clipNorm: 1,
    },
  },
  {
    name: "Adam with a step schedule and an iterative pruning schedule that rewinds to the initial weights",
    source: "network P { input 6 dense 16 output 2 prune iterative(percent=30, every=1, start=1, target=0.8, rewind=init) }",
    options: { batchSize: 16, seed: 5, learningRate: { kind: "step", initial: 0.01, every: 2, factor: 0.5 } },
  },
  {
    name: "gradual pruning by steps across the interruption",
    source: "network G { input 6 dense 16 output 2 prune gradual(initial=0, final=0.7, start=4, end=30, every=3) }",
    options: { batchSize: 16, seed: 6, optimizer: { kind: "sgd", learningRate: 0.05 } },
  },
  {
    name: "SET with random regrowth (its own random source)",
    source: "network D { input 6 dense 16 output 2 grow set(sparsity=0.6, every=3, drop=0.3, stop=100, regrow=random) }",
    options: { batchSize: 16, seed: 7, weightDecay: 0.05 },
  },
  {
    name: "RigL",
    source: "network R { input 6 dense 16 output 2 grow rigl(sparsity=0.6, every=2, drop=0.3, stop=100, layers=[dense1]) }",
    options: { batchSize: 16, seed: 8, optimizer: { kind: "sgd", momentum: 0.9, learningRate: 0.02 } },
  },
  // Learned masks that close entries before the interruption and open some again after it: weight files keep the
  // combined mask, so the resumed run needs the static masks beneath from its state.
  ...[
    ["dense", "dense 16"],
    ["conv", "input [1, 2, 3] features [conv(3, kernel=2, padding=same)] dense 8"],
    ["gru", "input [3, 2] recurrent gru(hidden=[4]) dense 8"],
  ].map(([kind, layers]) => ({
    name: `learnable masks over ${kind} weights that close entries and open them again`,
    source: `network L { ${kind === "dense" ? "input 6 " : ""}${layers} output 2 mask learnable(keep=0.6, penalty=1) }`,
    options: { batchSize: 16, seed: 10, optimizer: { kind: "adam", learningRate: 0.05 } } as const,
  })),
  {
    name: "early stopping that keeps the best epoch, on a validation split",
    source: small,
    options: { batchSize: 16, seed: 9, validationSplit: 0.25, earlyStopping: { monitor: "valAccuracy", patience: 10, restoreBest: true } },
  },
];

const EPOCHS = 5;
const STOP_AFTER = 2;

async function interruptedAndResumed(c: Case, data: { x: tf.Tensor; y: tf.Tensor }): Promise<{ model: Model; history: History; state: TrainingState }> {
  const folder = await mkdtemp(join(tmpdir(), "deepstruct-resume-"));
  folders.push(folder);
  const first = await buildModel(c.source, { seed: 1 });
  let saved: TrainingState | undefined;
  await first.fit(data, {
    ...c.options,
    epochs: EPOCHS,
    // The interruption: after epoch STOP_AFTER's callbacks, as Ctrl-C at that moment would.
    callbacks: { onEpochEnd: (logs, control) => void (logs.epoch === STOP_AFTER && control.stop()) },
    checkpoint: async (state) => {
      saved = state;
      await saveWeights(first, folder);
      await saveTrainingState(folder, state);
    },
  });
  expect(saved?.epochsCompleted).toBe(STOP_AFTER);
  first.dispose();
  const model = await loadModel(folder, { backend: "cpu" });
  const state = await loadTrainingState(folder);
  // The pair belongs together: model.json records the checksum the state does.
  expect((JSON.parse(await readFile(join(folder, "model.json"), "utf8")) as { weightsSha256: string }).weightsSha256).toBe(state.weightsSha256);
  const history = await model.fit(data, { ...c.options, epochs: EPOCHS, resume: state });
  return { model, history, state };
}

describe("resume equals the uninterrupted run, bit for bit (CPU backend)", () => {
  it.each(cases)("$name", async (c) => {
    const data = classes(120, 1);
    const whole = await buildModel(c.source, { seed: 1 });
    const uninterrupted = await whole.fit(data, { ...c.options, epochs: EPOCHS });
    const { model, history, state } = await interruptedAndResumed(c, data);
    expect(state.history).toHaveLength(STOP_AFTER);
    expect(history.resumedAfter).toBe(STOP_AFTER);
    expect(timeless(history)).toEqual(timeless(uninterrupted));
    expect(fingerprint(model)).toEqual(fingerprint(whole));
    // The run did move: the resumed epochs changed the weights.
    expect(history.epochs.at(-1)!.loss).not.toBe(history.epochs[STOP_AFTER - 1]!.loss);
  });

  it("pruning and growth really acted in those runs", async () => {
    const data = classes(120, 1);
    const pruned = await buildModel(cases[2]!.source, { seed: 1 });
    const history = await pruned.fit(data, { ...cases[2]!.options, epochs: EPOCHS });
    expect(history.epochs.filter((e) => e.pruned > 0).length).toBeGreaterThan(2);
    const grown = await buildModel(cases[4]!.source, { seed: 1 });
    const growth = await grown.fit(data, { ...cases[4]!.options, epochs: EPOCHS });
    expect(growth.epochs.slice(STOP_AFTER).every((e) => e.regrown > 0)).toBe(true);
  });

  it("a finished run resumes to nothing more; a run with other settings or other weights is refused, saying which", async () => {
    const data = classes(48, 2);
    const model = await buildModel(small, { seed: 1 });
    let last: TrainingState | undefined;
    await model.fit(data, { epochs: 2, batchSize: 16, checkpoint: (s) => void (last = s) });
    const before = fingerprint(model);
    const again = await model.fit(data, { epochs: 2, batchSize: 16, resume: last! });
    expect(again.epochs).toHaveLength(2);
    expect(fingerprint(model)).toEqual(before);
    await expect(model.fit(data, { epochs: 3, batchSize: 8, resume: last! })).rejects.toThrow(/resume: the run was saved with batchSize 16; this one has 8/);
    await expect(model.fit(data, { epochs: 1, batchSize: 16, resume: last! })).rejects.toThrow(/resume: the state has 2 epochs completed; this run has epochs 1/);
    await expect(model.fit(data, { epochs: 3, batchSize: 16, optimizer: "sgd", resume: last! })).rejects.toThrow(/optimizer state is Adam's, but this run's optimizer is Momentum/);
    model.setBias("output", [0.5, -0.5]);
    await expect(model.fit(data, { epochs: 3, batchSize: 16, resume: last! })).rejects.toThrow(
      /resume: the model's weights and masks \(SHA-256 [0-9a-f]{64}\) are not those the state was saved with after epoch 2/,
    );
    const other = await buildModel("network T { input 6 dense 16 output 2 }");
    await expect(other.fit(data, { epochs: 3, batchSize: 16, resume: last! })).rejects.toThrow(/the state is of model 'S', not 'T'/);
  });
});
