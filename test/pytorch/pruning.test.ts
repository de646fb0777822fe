/**
 * Pruning schedules in the generated module choose what the runtime
 * chooses: from the same weights and masks, driven through the same points
 * of training (epochs, steps), every schedule of test/pytorch/fixtures/
 * schedules.ds, of fixtures/prune_weights.ds (convs of a stem, of cells
 * and a head, recurrent layers' input and hidden weights, beside dense
 * blocks; once with every weight rounded to tenths, so ties decide), of
 * fixtures/prune_units.ds (whole kernels, channels, dense and recurrent
 * neurons, the same three ways), of fixtures/prune_gates_layers.ds (whole
 * recurrent gates and whole layers, the same three ways) and of
 * examples/pruning.ds leaves the same masks, entry for entry, after every epoch. Schedules that rewind, and synflow's
 * saliencies, depend on how the weights moved: their networks
 * (fixtures/rewind.ds, pruning.ds's Ticket) take one SGD step on a fixed
 * batch before every step's hooks, on both sides, and end with the same
 * weights too; after a rewind to the start every live weight and bias is
 * its starting value again. One-shot pruning at creation is in initial.test.ts.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { saveWeights } from "../../runtime/files.js";
import { createOptimizer, type Model, type PruningSchedule } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { pruningHooks } from "../../runtime/pruning/schedule.js";
import { trainStep } from "../../runtime/training/step.js";
import { compileExample, effectiveDifference, entries, fixedBatch, hasTorch, maxAbsDifference, randomModel, runPython, SCRIPTS, writeJobFiles } from "./support.js";

const EPOCHS = 5;
// Steps per epoch: enough for pruning.ds's Gradual, which starts at step 100 and passes the masks' 20% at step 200.
// `train`: one SGD step (learning rate TRAIN_RATE, no momentum) on a fixed batch before every step's hooks.
// `ties`: every weight rounded to a multiple of 0.1 first, so many saliencies are equal and the order of the
// candidates decides (a conv's entries in the runtime's HWIO order, not PyTorch's OIHW).
interface Source {
  readonly file: string;
  readonly skip: readonly string[];
  readonly steps: number;
  readonly train: boolean;
  readonly ties?: boolean;
}
const SOURCES: readonly Source[] = [
  { file: "test/pytorch/fixtures/schedules.ds", skip: [], steps: 3, train: false },
  { file: "examples/pruning.ds", skip: ["Ticket"], steps: 60, train: false },
  { file: "test/pytorch/fixtures/rewind.ds", skip: [], steps: 3, train: true },
  { file: "examples/pruning.ds", skip: ["Pruned", "SparseSmallWorld", "Gradual"], steps: 3, train: true },
  // Convs (stem, cells, head), recurrent layers' input and hidden weights, with the dense blocks.
  { file: "test/pytorch/fixtures/prune_weights.ds", skip: [], steps: 3, train: false },
  { file: "test/pytorch/fixtures/prune_weights.ds", skip: [], steps: 3, train: true },
  { file: "test/pytorch/fixtures/prune_weights.ds", skip: [], steps: 3, train: false, ties: true },
  // Whole kernels, channels and neurons (units.ts): summed saliencies, ties to the earlier layer then the lower unit.
  { file: "test/pytorch/fixtures/prune_units.ds", skip: [], steps: 3, train: false },
  { file: "test/pytorch/fixtures/prune_units.ds", skip: [], steps: 3, train: true },
  { file: "test/pytorch/fixtures/prune_units.ds", skip: [], steps: 3, train: false, ties: true },
  // Whole gates of recurrent layers and whole layers (units.ts, order 2), the same three ways.
  { file: "test/pytorch/fixtures/prune_gates_layers.ds", skip: [], steps: 3, train: false },
  { file: "test/pytorch/fixtures/prune_gates_layers.ds", skip: [], steps: 3, train: true },
  { file: "test/pytorch/fixtures/prune_gates_layers.ds", skip: [], steps: 3, train: false, ties: true },
  // Synflow through recurrent layers (linearised), on into the dense blocks.
  { file: "test/pytorch/fixtures/synflow_recurrent.ds", skip: [], steps: 3, train: false },
  { file: "test/pytorch/fixtures/synflow_recurrent.ds", skip: [], steps: 3, train: true },
  // Synflow through convs, batch norm, max and average pooling and cells, on into the dense blocks.
  { file: "test/pytorch/fixtures/synflow_conv.ds", skip: [], steps: 3, train: false },
  { file: "test/pytorch/fixtures/synflow_conv.ds", skip: [], steps: 3, train: true },
  { file: "test/pytorch/fixtures/synflow_conv.ds", skip: [], steps: 3, train: false, ties: true },
];
const TRAIN_RATE = 0.05;
const BATCH = 32;

/** Every mask entry of a model's file, by name. */
async function masks(model: Model): Promise<Map<string, Uint8Array>> {
  return new Map([...(await entries(model))].filter(([name]) => name.endsWith(".mask")) as [string, Uint8Array][]);
}

const live = (all: Map<string, Uint8Array>): number => [...all.values()].reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0);

/** One SGD step of the runtime on the batch, as the PyTorch half takes it (schedules.py). */
function sgdStep(model: Model, data: { x: tf.Tensor; y: tf.Tensor }): void {
  const optimizer = createOptimizer({ kind: "sgd", learningRate: TRAIN_RATE, momentum: 0 });
  const settings = { l2: 0, weightDecay: 0, clipNorm: undefined, clipValue: undefined, weights: undefined, lossName: "crossEntropy" as const };
  trainStep(
    model,
    optimizer,
    model.parameters.map((p) => p.variable),
    data,
    settings,
    TRAIN_RATE,
  );
  optimizer.dispose();
}

/** Every weight (dense, conv, recurrent) rounded to a multiple of 0.1: masked ones stay 0, live ones tie often. */
function roundWeights(model: Model): void {
  for (const p of model.parameters) {
    if (!/(\.weight|Weight)$/.test(p.name)) continue;
    const rounded = tf.tidy(() => tf.div(tf.round(tf.mul(p.variable, 10)), 10));
    p.variable.assign(rounded);
    rounded.dispose();
  }
}

const rewindsToInit = (schedules: readonly PruningSchedule[]): boolean => schedules.some((s) => s.kind === "iterative" && s.rewind === "init");

/** The largest difference from `start` over the parameters of `after`, weights where `after`'s masks keep them: 0 right after a rewind to the start. */
async function liveDifference(start: Model, after: Model): Promise<number> {
  const [from, to] = [await entries(start), await entries(after)];
  let worst = 0;
  for (const [name, values] of to) {
    if (name.endsWith(".mask")) continue;
    const mask = to.get(`${name.slice(0, -".weight".length)}.mask`);
    const live = name.endsWith(".weight") && mask !== undefined ? (i: number): boolean => mask[i] === 1 : (): boolean => true;
    values.forEach((v, i) => (worst = live(i) ? Math.max(worst, Math.abs(v - from.get(name)![i]!)) : worst));
  }
  return worst;
}

describe.skipIf(!hasTorch)("pruning schedules in PyTorch choose the runtime's connections", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(SOURCES)(
    "every schedule of $file but $skip, 5 epochs of $steps steps (trained: $train, ties: $ties), masks after each epoch",
    async ({ file, skip, steps, train, ties }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-pruning-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      const chosen = specs.filter((spec) => !skip.includes(spec.name) && (spec.pruning ?? []).some((s) => !(s.kind === "oneShot" && s.atEpoch === 0)));
      const ours = new Map<string, Map<string, Uint8Array>[]>();
      const finals = new Map<string, Model>();
      const jobs = [];
      for (const [i, spec] of chosen.entries()) {
        const model = await randomModel(spec, 21 + i);
        if (ties === true) roundWeights(model);
        const out = join(dir, spec.name);
        const batch = fixedBatch(model, BATCH, 5 + i);
        const files = await writeJobFiles(model, batch, out);
        await saveWeights(model, join(out, "start"));
        const data = { x: tf.tensor(batch.x, [BATCH, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") };
        const hooks = pruningHooks(model, spec.pruning ?? []);
        const perEpoch: Map<string, Uint8Array>[] = [];
        hooks.trainBegin();
        for (let epoch = 1; epoch <= EPOCHS; epoch++) {
          hooks.epochBegin(epoch);
          for (let step = 0; step < steps; step++) {
            if (train) sgdStep(model, data);
            hooks.batchEnd();
          }
          hooks.epochEnd();
          perEpoch.push(await masks(model));
        }
        tf.dispose([data.x, data.y]);
        ours.set(spec.name, perEpoch);
        finals.set(spec.name, model);
        jobs.push({ module, run: join(out, "start"), x: files.x, y: files.y, out, epochs: EPOCHS, steps, train, learningRate: TRAIN_RATE });
      }
      await writeFile(join(dir, "jobs.json"), JSON.stringify(jobs));
      runPython([join(SCRIPTS, "schedules.py"), join(dir, "jobs.json")]);
      const figures: string[] = [];
      for (const spec of chosen) {
        const start = await loadModel(join(dir, spec.name, "start"), { backend: "cpu" });
        const before = live(await masks(start));
        const counts: number[] = [];
        let rewound = 0;
        for (let epoch = 1; epoch <= EPOCHS; epoch++) {
          const theirs = await loadModel(join(dir, spec.name, `epoch-${epoch}`), { backend: "cpu" });
          const [expected, got] = [ours.get(spec.name)![epoch - 1]!, await masks(theirs)];
          expect([...got.keys()]).toEqual([...expected.keys()]);
          for (const [name, mask] of expected) expect(Buffer.from(got.get(name)!).equals(Buffer.from(mask)), `${spec.name} ${name} after epoch ${epoch}`).toBe(true);
          // An epoch that pruned with rewind=init ends on the starting values of everything still live.
          const pruned = live(got) < (counts.at(-1) ?? before);
          if (train && pruned && rewindsToInit(spec.pruning ?? [])) {
            expect(await liveDifference(start, theirs), `${spec.name} rewound after epoch ${epoch}`).toBe(0);
            rewound++;
          }
          counts.push(live(got));
          if (epoch === EPOCHS && train) {
            const difference = await effectiveDifference(finals.get(spec.name)!, theirs);
            expect(difference, `${spec.name}: weights after ${EPOCHS} epochs`).toBeLessThan(1e-5);
            figures.push(`${spec.name}: weights ${difference.toExponential(1)} apart after ${EPOCHS} epochs`);
          }
          theirs.dispose();
        }
        if (train && rewindsToInit(spec.pruning ?? [])) expect(rewound, `${spec.name}: epochs that rewound`).toBeGreaterThan(0);
        // Something was pruned, so the agreement is not of two untouched masks.
        expect(counts.at(-1)!, spec.name).toBeLessThan(before);
        figures.push(`${spec.name}: live ${before} -> ${counts.join(", ")}`);
        start.dispose();
        finals.get(spec.name)!.dispose();
      }
      console.log(figures.join("\n"));
    },
    300_000,
  );
});
