/**
 * `dsc train`'s options in the generated `train`: learning-rate schedules
 * with warm-up, decoupled weight decay, the L2 term, clipping by norm and
 * by value, early stopping with the best epoch restored. The runtime's `fit`
 * and the module's `train` take the same settings from the same run folder
 * on the same samples (one batch an epoch, so the shuffle's order cannot
 * matter) and end with the same parameters, masks and running statistics
 * within 1e-5, after the same number of epochs, at the same rates; two
 * processes under torchrun (Features, and the run that stops early) too.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fit, type FitOptions, type Model } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { exportSplit } from "../../src/cli/export.js";
import {
  compileExample,
  effectiveDifference,
  entries,
  fixedBatch,
  hasTorch,
  hasTorchrun,
  runTorchrun,
  parameterDifference,
  randomModel,
  runPython,
  writeJobFiles,
  zeroGradientBiases,
  type Batch,
} from "./support.js";

const SAMPLES = 32;
const TOLERANCE = 1e-5;

interface Case {
  readonly file: string;
  readonly network: string;
  readonly epochs: number;
  /** The generated train's flags, as dsc train spells them. */
  readonly flags: readonly string[];
  /** What dsc train's same flags give fit (src/cli/train-arguments.ts fitSettings). */
  readonly options: Omit<FitOptions, "epochs" | "batchSize" | "loss" | "seed" | "shuffle" | "validationData">;
  readonly stops?: boolean;
  /** Also under torchrun with 2 processes (16 samples each): the same weights and the same stopping epoch. */
  readonly distributed?: boolean;
}

const CASES: readonly Case[] = [
  {
    file: "test/pytorch/fixtures/features.ds",
    network: "Features",
    epochs: 6,
    flags: ["--optimizer", "sgd", "--lr", "0.05", "--lr-schedule", "step:2:0.5", "--warmup", "1", "--weight-decay", "0.3", "--l2", "0.01", "--clip-norm", "0.5"],
    options: { optimizer: { kind: "sgd", learningRate: 0.05 }, learningRate: { kind: "step", every: 2, factor: 0.5, warmupEpochs: 1 }, weightDecay: 0.3, l2: 0.01, clipNorm: 0.5 },
    distributed: true,
  },
  {
    file: "test/pytorch/fixtures/recurrent.ds",
    network: "LstmAll",
    epochs: 6,
    flags: ["--optimizer", "adam", "--lr", "0.02", "--lr-schedule", "cosine:0.002", "--warmup", "2", "--clip-value", "0.01", "--weight-decay", "0.2"],
    options: { optimizer: { kind: "adam", learningRate: 0.02 }, learningRate: { kind: "cosine", minimum: 0.002, warmupEpochs: 2 }, clipValue: 0.01, weightDecay: 0.2 },
  },
  {
    file: "test/pytorch/fixtures/cell_networks.ds",
    network: "Stemmed",
    epochs: 4,
    flags: ["--optimizer", "adam", "--lr", "0.01", "--lr-schedule", "cosine", "--l2", "0.05", "--clip-norm", "1", "--clip-value", "0.05"],
    options: { optimizer: { kind: "adam", learningRate: 0.01 }, learningRate: { kind: "cosine" }, l2: 0.05, clipNorm: 1, clipValue: 0.05 },
  },
  // Random labels and a large rate: the held-out loss rises after a few epochs, so training stops and goes back to the best.
  {
    file: "test/pytorch/fixtures/schedules.ds",
    network: "Iterative",
    epochs: 12,
    flags: ["--optimizer", "adam", "--lr", "0.1", "--early-stopping", "1", "--restore-best"],
    options: { optimizer: { kind: "adam", learningRate: 0.1 }, earlyStopping: { patience: 1, restoreBest: true } },
    stops: true,
    distributed: true,
  },
];

/** A Dataset of a fixed batch's samples (class labels). */
function dataset(batch: Batch, featureSize: number): { size: number; featureSize: number; features: Float32Array; labels: { kind: "classes"; classes: Int32Array } } {
  return { size: SAMPLES, featureSize, features: batch.x, labels: { kind: "classes", classes: batch.y as Int32Array } };
}

function tensors(model: Model, batch: Batch): { x: tf.Tensor; y: tf.Tensor } {
  return { x: tf.tensor(batch.x, [SAMPLES, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") };
}

interface Report {
  readonly epoch: number;
  readonly learningRate: number;
  readonly heldOutLoss: number;
  readonly stopped?: string;
  readonly bestEpoch?: number;
}

describe.skipIf(!hasTorch)("dsc train's options in the generated train give the runtime's weights", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(CASES)(
    "$network of $file, $epochs epochs of one batch: $flags",
    async ({ file, network, epochs, flags, options, stops, distributed }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-options-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      const model = await randomModel(
        specs.find((spec) => spec.name === network)!,
        8,
      );
      const [train, test] = [fixedBatch(model, SAMPLES, 11), fixedBatch(model, SAMPLES, 12)];
      const files = await writeJobFiles(model, train, dir);
      const featureSize = model.inputShape.reduce((a, b) => a * b, 1);
      await exportSplit("fixed", { train: dataset(train, featureSize), test: dataset(test, featureSize) }, join(dir, "data"));
      const start = await loadModel(files.run, { backend: "cpu" });

      const [data, heldOut] = [tensors(model, train), tensors(model, test)];
      const history = await fit(model, data, { ...options, epochs, batchSize: SAMPLES, loss: "crossEntropy", seed: 0, shuffle: false, validationData: heldOut });
      tf.dispose([data.x, data.y, heldOut.x, heldOut.y]);

      const args = [module, "train", "--run", files.run, "--data", join(dir, "data"), "--epochs", String(epochs), "--batch-size", String(SAMPLES), "--seed", "0"];
      const printed = runPython([...args, ...flags, "--out", join(dir, "torch")]);
      const reports = printed
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Report);
      const theirs = await loadModel(join(dir, "torch"), { backend: "cpu" });

      // The same epochs, each at the runtime's rate and with its held-out loss.
      expect(reports.map((r) => r.epoch)).toEqual(history.epochs.map((e) => e.epoch));
      history.epochs.forEach((e, i) => {
        expect(Math.abs(reports[i]!.learningRate - e.learningRate!), `epoch ${e.epoch}'s rate`).toBeLessThan(1e-9);
        expect(Math.abs(reports[i]!.heldOutLoss - e.valLoss!), `epoch ${e.epoch}'s held-out loss`).toBeLessThan(TOLERANCE);
      });
      console.log(`${network}: held-out losses ${history.epochs.map((e) => e.valLoss!.toFixed(4)).join(", ")}`);
      if (stops === true) {
        expect(history.stopReason).toBe("earlyStopping");
        expect(reports.at(-1)!.stopped).toBe("earlyStopping");
        expect(reports.at(-1)!.bestEpoch).toBe(history.earlyStopping!.bestEpoch);
        expect(history.epochs.length).toBeLessThan(epochs);
      }
      // Weights times masks: where pruning switched a connection off, the runtime keeps its stored weight, PyTorch a 0.
      const difference = await effectiveDifference(model, theirs);
      console.log(`${network}: ${reports.length} epochs, rates ${reports.map((r) => r.learningRate.toPrecision(3)).join(", ")}; weights ${difference.toExponential(1)} apart`);
      expect(difference, `${network}: parameters after training`).toBeLessThan(TOLERANCE);
      // Training moved the weights, so agreeing is not two copies of the start.
      expect(await parameterDifference(start, theirs)).toBeGreaterThan(1e-3);
      const [before, after, ours] = [await entries(start), await entries(theirs), await entries(model)];
      for (const name of zeroGradientBiases(start)) {
        expect(Buffer.from(after.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), `${name} held by PyTorch`).toBe(true);
        expect(Buffer.from(ours.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), `${name} held by the runtime`).toBe(true);
      }
      if (distributed === true && hasTorchrun) {
        const ddpPrinted = await runTorchrun(2, [...args, ...flags, "--out", join(dir, "ddp")], join(dir, "logs"));
        const ddpEpochs = ddpPrinted.split("\n").filter((line) => line.startsWith("{")).length;
        const ddp = await loadModel(join(dir, "ddp"), { backend: "cpu" });
        const ddpDifference = await effectiveDifference(model, ddp);
        console.log(`${network}: 2 processes, ${ddpEpochs} epochs, weights ${ddpDifference.toExponential(1)} from the runtime's`);
        expect(ddpEpochs).toBe(history.epochs.length);
        expect(ddpDifference, `${network}: parameters after training, 2 processes`).toBeLessThan(TOLERANCE);
        ddp.dispose();
      }
      for (const m of [model, start, theirs]) m.dispose();
    },
    300_000,
  );
});
