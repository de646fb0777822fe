/**
 * `--validation-split F` in the generated `train` means what `dsc train
 * --validation-split F` means (fit's validationSplit, runtime/training/data.ts
 * splitOff): the first ⌊n · (1 − F)⌋ samples train, the rest, in their order
 * and before any shuffle, are held out, and early stopping watches their loss
 * without `--data`'s test part. The runtime's `fit` and the module's `train`
 * start from the same run folder on the same samples (one batch an epoch)
 * and report the same held-out loss every epoch within 1e-5, stop at the
 * same epoch and end with the same weights; two processes under torchrun too.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fit } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { compileExample, effectiveDifference, fixedBatch, hasTorch, hasTorchrun, randomModel, runPython, runTorchrun, writeJobFiles } from "./support.js";

const SAMPLES = 32;
const SPLIT = 0.25;
// ⌊32 · 0.75⌋ = 24 samples train: one batch of them an epoch, which 2 processes split 12 and 12.
const TRAINED = 24;
const TOLERANCE = 1e-5;

interface Report {
  readonly epoch: number;
  readonly validationLoss: number;
  readonly stopped?: string;
  readonly bestEpoch?: number;
}

const reportsOf = (printed: string): Report[] =>
  printed
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Report);

describe.skipIf(!hasTorch)("--validation-split in the generated train holds out what fit's validationSplit holds out", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  // Random labels and a large rate: the validation loss rises after a few epochs, so training stops and goes back to the best.
  it("Iterative of fixtures/schedules.ds, 12 epochs, --early-stopping 1 --restore-best on the last quarter of --x/--y", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-split-"));
    dirs.push(dir);
    const { module, specs } = await compileExample("test/pytorch/fixtures/schedules.ds", dir);
    const model = await randomModel(
      specs.find((spec) => spec.name === "Iterative")!,
      8,
    );
    const batch = fixedBatch(model, SAMPLES, 11);
    const files = await writeJobFiles(model, batch, dir);

    const data = { x: tf.tensor(batch.x, [SAMPLES, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") };
    const earlyStopping = { patience: 1, restoreBest: true };
    const optimizer = { kind: "adam" as const, learningRate: 0.05 };
    const history = await fit(model, data, { epochs: 12, batchSize: TRAINED, loss: "crossEntropy", seed: 0, shuffle: false, optimizer, earlyStopping, validationSplit: SPLIT });
    tf.dispose([data.x, data.y]);

    const flags = ["--optimizer", "adam", "--lr", "0.05", "--early-stopping", "1", "--restore-best", "--validation-split", String(SPLIT)];
    const args = [module, "train", "--run", files.run, "--x", files.x, "--y", files.y, "--epochs", "12", "--batch-size", String(TRAINED), "--seed", "0", ...flags];
    const reports = reportsOf(runPython([...args, "--out", join(dir, "torch")]));
    expect(reports.map((r) => r.epoch)).toEqual(history.epochs.map((e) => e.epoch));
    history.epochs.forEach((e, i) => expect(Math.abs(reports[i]!.validationLoss - e.valLoss!), `epoch ${e.epoch}'s validation loss`).toBeLessThan(TOLERANCE));
    console.log(`validation losses ${history.epochs.map((e) => e.valLoss!.toFixed(4)).join(", ")}`);
    expect(history.stopReason).toBe("earlyStopping");
    expect(reports.at(-1)!.stopped).toBe("earlyStopping");
    expect(reports.at(-1)!.bestEpoch).toBe(history.earlyStopping!.bestEpoch);
    const theirs = await loadModel(join(dir, "torch"), { backend: "cpu" });
    const difference = await effectiveDifference(model, theirs);
    console.log(`${reports.length} epochs, best ${reports.at(-1)!.bestEpoch}; weights ${difference.toExponential(1)} apart`);
    expect(difference).toBeLessThan(TOLERANCE);
    theirs.dispose();

    if (hasTorchrun) {
      const ddpReports = reportsOf(await runTorchrun(2, [...args, "--out", join(dir, "ddp")], join(dir, "logs")));
      const ddp = await loadModel(join(dir, "ddp"), { backend: "cpu" });
      const ddpDifference = await effectiveDifference(model, ddp);
      console.log(`2 processes: ${ddpReports.length} epochs, weights ${ddpDifference.toExponential(1)} from the runtime's`);
      expect(ddpReports.map((r) => r.epoch)).toEqual(history.epochs.map((e) => e.epoch));
      expect(ddpDifference).toBeLessThan(TOLERANCE);
      ddp.dispose();
    }
    model.dispose();
  }, 300_000);

  it("refuses a split that leaves no sample to train on, or no fraction, naming the flag", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-split-"));
    dirs.push(dir);
    const { module, specs } = await compileExample("test/pytorch/fixtures/schedules.ds", dir);
    const model = await randomModel(
      specs.find((spec) => spec.name === "Iterative")!,
      8,
    );
    const files = await writeJobFiles(model, fixedBatch(model, 4, 11), dir);
    const args = [module, "train", "--run", files.run, "--x", files.x, "--y", files.y, "--epochs", "1", "--batch-size", "2", "--out", join(dir, "torch")];
    expect(() => runPython([...args, "--validation-split", "0.9"])).toThrow("--validation-split 0.9 of 4 samples leaves no sample to train on");
    expect(() => runPython([...args, "--validation-split", "1"])).toThrow("--validation-split must be a fraction strictly between 0 and 1, got 1.0");
    // Without --data, early stopping has a loss to watch only with a split.
    expect(() => runPython([...args, "--early-stopping", "1"])).toThrow("or --validation-split F");
    model.dispose();
  }, 120_000);
});
