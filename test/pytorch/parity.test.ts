/**
 * Parity of the PyTorch target with the TypeScript runtime (CPU backend), for
 * every network of every example: the same weights give the same logits on a
 * fixed batch; one SGD step and one Adam step on that batch (softmax
 * cross-entropy, mean over the batch; mean squared error for a single
 * output) give the same weights; masked weights
 * stay exactly 0; and a run folder read by PyTorch and written back loads
 * into the runtime and predicts identically, every parameter bit for bit.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOptimizer, type Model, type OptimizerName } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { trainStep, type StepSettings } from "../../runtime/training/step.js";
import {
  compileExample,
  zeroGradientBiases,
  entries,
  fixedBatch,
  type Batch,
  hasTorch,
  maskedNonZero,
  maxAbsDifference,
  parameterDifference,
  pytorchSources,
  randomModel,
  runPython,
  SCRIPTS,
  writeJobFiles,
} from "./support.js";

const TOLERANCE = 1e-5;
const BATCH = 16;
const LEARNING_RATE: Record<OptimizerName, number> = { sgd: 0.01, adam: 0.001 };
const OPTIMIZERS: readonly OptimizerName[] = ["sgd", "adam"];
const SETTINGS: Omit<StepSettings, "lossName"> = { l2: 0, weightDecay: 0, clipNorm: undefined, clipValue: undefined, weights: undefined };

// Every example, and networks the examples do not show (learnable masks: test/pytorch/fixtures).
const FIXTURES = "test/pytorch/fixtures";
const examples = [...(await pytorchSources("examples")), ...(await pytorchSources(FIXTURES))];
const figures: string[] = [];

function logits(model: Model, x: Float32Array, training = false): Float32Array {
  return tf.tidy(() => model.predict(tf.tensor(x, [BATCH, ...model.inputShape]), { training }).dataSync() as Float32Array);
}

/**
 * The TypeScript runtime's step from the same run folder. Adam's step runs
 * the kernels dense, as the PyTorch module does: its first step moves a weight
 * by lr · g / (|g| + 1e-7), so at a gradient near 0 a rounding difference of
 * 1e-9 between summation orders (a graph kernel's against a matrix product's)
 * moves the weight 1e-5 apart. Outputs and SGD are compared as planned.
 */
async function typescriptStep(run: string, kind: OptimizerName, batch: Batch): Promise<Model> {
  const model = await loadModel(run, { backend: "cpu", ...(kind === "adam" ? { execution: "dense" as const } : {}) });
  const optimizer = createOptimizer(kind === "sgd" ? { kind, learningRate: LEARNING_RATE.sgd, momentum: 0 } : { kind, learningRate: LEARNING_RATE.adam });
  const y = batch.y instanceof Int32Array ? tf.tensor1d(batch.y, "int32") : tf.tensor2d(batch.y, [BATCH, 1]);
  const data = { x: tf.tensor(batch.x, [BATCH, ...model.inputShape]), y };
  trainStep(
    model,
    optimizer,
    model.parameters.map((p) => p.variable),
    data,
    { ...SETTINGS, lossName: batch.loss },
    LEARNING_RATE[kind],
  );
  tf.dispose([data.x, data.y]);
  optimizer.dispose();
  return model;
}

/**
 * The largest difference after one Adam step, but for entries whose gradient is within rounding of 0 that the two
 * sides move more than the tolerance apart, and their count. Adam's first step moves an entry by lr · g / (|g| + ε), ε = 1e-7: by lr (within 10%) wherever |g| > 1e-6,
 * and where |g| is itself rounding (3e-8 in prior_comparison.ds's RandomSparse, whose two sides' sums of products
 * round apart by 1e-9) by a ratio of noise that differs 2.5e-5 between summation orders. Such an entry is one that
 * moved by less than 0.9 lr on either side (|g| < 1e-6); it must still move by less than lr on both, as Adam's step
 * does, and there may be 3 at most (1 of RandomSparse's 486,788 entries; every other network here, 0).
 */
async function adamStepDifference(start: Model, ours: Model, theirs: Model): Promise<{ difference: number; roundingSized: number }> {
  const [from, left, right] = [await entries(start), await entries(ours), await entries(theirs)];
  const lr = LEARNING_RATE.adam;
  let [difference, roundingSized] = [0, 0];
  for (const [name, a] of left) {
    const [b, z] = [right.get(name)!, from.get(name)!];
    for (let i = 0; i < a.length; i++) {
      const [moved, movedThere, apart] = [Math.abs(a[i]! - z[i]!), Math.abs(b[i]! - z[i]!), Math.abs(a[i]! - b[i]!)];
      if (apart >= TOLERANCE && Math.min(moved, movedThere) < 0.9 * lr) {
        roundingSized++;
        expect(Math.max(moved, movedThere), `${name}[${i}]: an Adam step moves by less than lr`).toBeLessThan(lr * (1 + 1e-3));
      } else difference = Math.max(difference, apart);
    }
  }
  return { difference, roundingSized };
}

interface Job {
  readonly model: Model;
  readonly batch: Batch;
  readonly out: string;
  readonly run: string;
}

async function checkJob(job: Job, label: string): Promise<void> {
  const { model, batch, out, run } = job;
  const torchLogits = new Float32Array((await readFile(join(out, "logits.bin"))).buffer.slice(0));
  const output = maxAbsDifference(logits(model, batch.x), torchLogits);
  expect(output, `${label}: logits`).toBeLessThan(TOLERANCE);
  const back = await loadModel(join(out, "roundtrip"), { backend: "cpu" });
  expect(await parameterDifference(model, back), `${label}: round trip`).toBe(0);
  expect(maxAbsDifference(logits(back, batch.x), logits(model, batch.x)), `${label}: round-trip logits`).toBe(0);
  // Training mode normalises by the batch's statistics (and moves the running ones: on the copy, not on model).
  const torchTraining = new Float32Array((await readFile(join(out, "training-logits.bin"))).buffer.slice(0));
  const training = maxAbsDifference(logits(back, batch.x, true), torchTraining);
  expect(training, `${label}: training-mode logits`).toBeLessThan(TOLERANCE);
  back.dispose();
  const steps: string[] = [];
  for (const kind of OPTIMIZERS) {
    const [ours, theirs] = [await typescriptStep(run, kind, batch), await loadModel(join(out, kind), { backend: "cpu" })];
    const { difference, roundingSized } =
      kind === "adam" ? await adamStepDifference(model, ours, theirs) : { difference: await parameterDifference(ours, theirs), roundingSized: 0 };
    expect(difference, `${label}: one ${kind} step`).toBeLessThan(TOLERANCE);
    expect(roundingSized, `${label}: entries apart by a rounding-sized gradient`).toBeLessThanOrEqual(3);
    // The biases of convs a batch norm follows get an exact 0 gradient on both sides: not moved at all, by Adam either.
    const [start, left, right] = [await entries(model), await entries(ours), await entries(theirs)];
    for (const name of zeroGradientBiases(model)) {
      expect(Buffer.from(left.get(name)!.buffer).equals(Buffer.from(start.get(name)!.buffer)), `${label}: ${name} held by the runtime's ${kind}`).toBe(true);
      expect(Buffer.from(right.get(name)!.buffer).equals(Buffer.from(start.get(name)!.buffer)), `${label}: ${name} held by PyTorch's ${kind}`).toBe(true);
    }
    // The step moved the weights, so agreeing is not two copies of the start.
    expect(await parameterDifference(model, theirs), `${label}: ${kind} moved nothing`).toBeGreaterThan(0);
    // A connection its mask logits switch off keeps its weight, to come back with when they switch on
    // (the saved mask is the combined one): in the runtime as in PyTorch, so only static masks promise zeros.
    const [torchNonZero, ourNonZero] = [await maskedNonZero(theirs), await maskedNonZero(ours)];
    expect(torchNonZero, `${label}: masked weights not 0 after ${kind}, PyTorch against TypeScript`).toBe(ourNonZero);
    if (ours.spec.learnable === undefined) expect(torchNonZero, `${label}: masked weights after ${kind} in PyTorch`).toBe(0);
    steps.push(`${kind} ${difference.toExponential(1)}`);
    ours.dispose();
    theirs.dispose();
  }
  figures.push(`${label}: logits ${output.toExponential(1)}, training mode ${training.toExponential(1)}, ${steps.join(", ")}`);
}

describe.skipIf(!hasTorch)("the PyTorch target matches the TypeScript runtime", () => {
  afterAll(() => console.log(`max abs differences (PyTorch vs TypeScript, cpu):\n${figures.join("\n")}`));

  it.each(examples)(
    "every network of %s: outputs, one SGD and one Adam step, round trip",
    async (file) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-"));
      try {
        const { module, specs } = await compileExample(file, dir);
        const jobs: Job[] = [];
        for (const [i, spec] of specs.entries()) {
          const model = await randomModel(spec, 11 + i);
          const batch = fixedBatch(model, BATCH, 7 + i);
          const out = join(dir, spec.name);
          const files = await writeJobFiles(model, batch, out);
          jobs.push({ model, batch, out, run: files.run });
        }
        const described = jobs.map((job, i) => ({ module, ...filesOf(job), out: job.out, loss: job.batch.loss, learningRate: LEARNING_RATE, network: specs[i]!.name }));
        await writeFile(join(dir, "jobs.json"), JSON.stringify(described));
        runPython([join(SCRIPTS, "parity.py"), join(dir, "jobs.json")]);
        for (const [i, job] of jobs.entries()) await checkJob(job, `${file} ${specs[i]!.name}`);
        for (const job of jobs) job.model.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    300_000,
  );
});

function filesOf(job: Job): { run: string; x: string; y: string } {
  return { run: job.run, x: join(job.out, "x.bin"), y: join(job.out, "y.bin") };
}
