/**
 * A batch size that does not divide the samples: `fit` runs the short last
 * batch of every epoch (its loss the mean over its own samples, one more
 * step for the rate, the warm-up, pruning and growth), and so must the
 * generated `train`. Both start from the same run folder, shuffle with the
 * runtime's random source from the same seed, and end several epochs later
 * with the same weights, masks and running statistics and the same loss every
 * epoch; two processes under torchrun too, whose shares of the short batch
 * are uneven (5 and 6 samples of 11) or empty (one process gets nothing of a
 * last batch of 1), so the gradient average must weigh by samples.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fit, type FitOptions } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import {
  compileExample,
  effectiveDifference,
  fixedBatch,
  hasTorch,
  hasTorchrun,
  liveEntries,
  maskChanges,
  parameterDifference,
  randomModel,
  runPython,
  runTorchrun,
  writeJobFiles,
} from "./support.js";

const TOLERANCE = 1e-5;
const BATCH = 32;
const EPOCHS = 3;

interface Case {
  readonly file: string;
  readonly network: string;
  /** Samples: 203 = 6 × 32 + 11, 171 = 5 × 32 + 11 (RigL's updates every 3 steps fall on the short batches), 193 = 6 × 32 + 1. */
  readonly samples: number;
  readonly flags: readonly string[];
  readonly options: Omit<FitOptions, "epochs" | "batchSize" | "loss" | "seed">;
}

const CASES: readonly Case[] = [
  // Batch norm's statistics of the short batch, a warm-up and cosine counted in ceil(203 / 32) = 7 steps an epoch.
  {
    file: "test/pytorch/fixtures/features.ds",
    network: "Features",
    samples: 203,
    flags: ["--optimizer", "sgd", "--lr", "0.05", "--lr-schedule", "cosine", "--warmup", "1"],
    options: { optimizer: { kind: "sgd", learningRate: 0.05 }, learningRate: { kind: "cosine", warmupEpochs: 1 } },
  },
  // Gradual pruning every 2 steps from step 2 to 10: where it falls depends on the short batches' steps.
  {
    file: "test/pytorch/fixtures/schedules.ds",
    network: "GradualSome",
    samples: 203,
    flags: ["--optimizer", "adam", "--lr", "0.02", "--lr-schedule", "step:1:0.5"],
    options: { optimizer: { kind: "adam", learningRate: 0.02 }, learningRate: { kind: "step", every: 1, factor: 0.5 } },
  },
  // RigL ranks by the gradient on steps 6 and 12, the short batches: under DDP the shares' gradients weigh by samples.
  {
    file: "test/pytorch/fixtures/growth.ds",
    network: "RigLSome",
    samples: 171,
    flags: ["--optimizer", "sgd", "--lr", "0.05"],
    options: { optimizer: { kind: "sgd", learningRate: 0.05 } },
  },
  // The last batch is 1 sample: under DDP the first process's share is empty (batch norm's count is the global one).
  {
    file: "test/pytorch/fixtures/features.ds",
    network: "Features",
    samples: 193,
    flags: ["--optimizer", "adam", "--lr", "0.01"],
    options: { optimizer: { kind: "adam", learningRate: 0.01 } },
  },
];

interface Report {
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
}

function reports(printed: string): Report[] {
  return printed
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Report);
}

describe.skipIf(!hasTorch)("a short last batch: the generated train runs it as fit does", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(CASES)(
    "$network of $file, $samples samples in batches of 32, 3 epochs: $flags",
    async ({ file, network, samples, flags, options }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-short-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      const model = await randomModel(
        specs.find((spec) => spec.name === network)!,
        6,
      );
      const batch = fixedBatch(model, samples, 21);
      const files = await writeJobFiles(model, batch, dir);
      const start = await loadModel(files.run, { backend: "cpu" });

      const data = { x: tf.tensor(batch.x, [samples, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") };
      const history = await fit(model, data, { ...options, epochs: EPOCHS, batchSize: BATCH, loss: "crossEntropy", seed: 3 });
      tf.dispose([data.x, data.y]);

      const args = (out: string): string[] => [
        module,
        "train",
        "--run",
        files.run,
        "--x",
        files.x,
        "--y",
        files.y,
        "--epochs",
        String(EPOCHS),
        "--batch-size",
        String(BATCH),
        "--seed",
        "3",
        ...flags,
        "--out",
        out,
      ];
      const single = reports(runPython(args(join(dir, "single"))));
      const theirs = await loadModel(join(dir, "single"), { backend: "cpu" });
      // Every epoch: fit's loss (each batch's mean weighed by its samples) and its last step's rate.
      expect(single.map((r) => r.epoch)).toEqual(history.epochs.map((e) => e.epoch));
      history.epochs.forEach((e, i) => {
        expect(Math.abs(single[i]!.loss - e.loss), `epoch ${e.epoch}'s loss`).toBeLessThan(TOLERANCE);
        expect(Math.abs(single[i]!.learningRate - e.learningRate!), `epoch ${e.epoch}'s rate`).toBeLessThan(1e-9);
      });
      const difference = await effectiveDifference(model, theirs);
      console.log(
        `${network}, ${samples} samples: losses ${history.epochs.map((e) => e.loss.toFixed(5)).join(", ")}; one process ${difference.toExponential(1)} from fit, live ${await liveEntries(start)} → ${await liveEntries(model)}, ${await maskChanges(start, model)} mask entries moved`,
      );
      expect(difference, `${network}: one process against fit`).toBeLessThan(TOLERANCE);
      // Training moved the weights, so agreeing is not two copies of the start.
      expect(await parameterDifference(start, theirs)).toBeGreaterThan(1e-3);

      if (hasTorchrun) {
        const ddpReports = reports(await runTorchrun(2, args(join(dir, "ddp")), join(dir, "logs")));
        const ddp = await loadModel(join(dir, "ddp"), { backend: "cpu" });
        const [againstFit, againstOne] = [await effectiveDifference(model, ddp), await effectiveDifference(theirs, ddp)];
        console.log(`${network}, ${samples} samples: 2 processes ${againstFit.toExponential(1)} from fit, ${againstOne.toExponential(1)} from one process`);
        history.epochs.forEach((e, i) => expect(Math.abs(ddpReports[i]!.loss - e.loss), `epoch ${e.epoch}'s loss, 2 processes`).toBeLessThan(TOLERANCE));
        expect(againstOne, `${network}: 2 processes against 1`).toBeLessThan(TOLERANCE);
        expect(againstFit, `${network}: 2 processes against fit`).toBeLessThan(TOLERANCE);
        ddp.dispose();
      }
      for (const m of [model, start, theirs]) m.dispose();
    },
    300_000,
  );
});
