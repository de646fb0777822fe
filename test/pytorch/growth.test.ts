/**
 * SET and RigL in the generated module choose what the runtime chooses:
 * from the same weights and masks, driven through the same steps on one
 * fixed batch (RigL ranking the dense gradients on it), every network of
 * test/pytorch/fixtures/growth.ds and examples/growing.ds ends with the same
 * masks, entry for entry, and the same effective weights (regrown ones drawn
 * from the runtime's random stream), RigL's gradient taken in training mode
 * (batch norms over the batch) with the running statistics put back. The
 * sparse start is in initial.test.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../runtime/files.js";
import type { Model } from "../../runtime/index.js";
import { dynamicSparseHooks } from "../../runtime/growing/dynamic-sparse.js";
import { compileExample, effectiveDifference, fixedBatch, maskChanges, hasTorch, randomModel, runPython, SCRIPTS, writeJobFiles } from "./support.js";

const SOURCES: readonly { readonly file: string; readonly steps: number }[] = [
  { file: "test/pytorch/fixtures/growth.ds", steps: 12 },
  // Convs of a feature stack, of cells and a head, recurrent input and hidden weights, beside dense blocks.
  { file: "test/pytorch/fixtures/growth_weights.ds", steps: 12 },
  // Updates every 100 steps there.
  { file: "examples/growing.ds", steps: 300 },
];

const statisticsOf = (model: Model): Record<string, Float32Array> => Object.fromEntries(model.state.map((s) => [s.name, Float32Array.from(s.variable.dataSync())]));

describe.skipIf(!hasTorch)("SET and RigL in PyTorch choose the runtime's connections", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(SOURCES)(
    "every growing network of $file, $steps steps on one batch",
    async ({ file, steps }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-growth-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      const growing = specs.filter((spec) => spec.growth !== undefined);
      const jobs = [];
      const ours = [];
      for (const [i, spec] of growing.entries()) {
        const model = await randomModel(spec, 31 + i);
        const batch = fixedBatch(model, 32, 9 + i);
        const out = join(dir, spec.name);
        const files = await writeJobFiles(model, batch, out);
        const hooks = dynamicSparseHooks(model, spec.growth!);
        const data = { x: tf.tensor(batch.x, [32, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") };
        hooks.epochBegin(1);
        for (let step = 0; step < steps; step++) hooks.batchEnd(data);
        tf.dispose([data.x, data.y]);
        ours.push(model);
        jobs.push({ module, ...files, out, steps });
      }
      await writeFile(join(dir, "jobs.json"), JSON.stringify(jobs));
      runPython([join(SCRIPTS, "growth.py"), join(dir, "jobs.json")]);
      const figures: string[] = [];
      for (const [i, spec] of growing.entries()) {
        const [start, theirs] = [await loadModel(join(dir, spec.name, "run"), { backend: "cpu" }), await loadModel(join(dir, spec.name, "grown"), { backend: "cpu" })];
        const difference = await effectiveDifference(ours[i]!, theirs);
        const moved = await maskChanges(start, theirs);
        figures.push(`${spec.name} (${spec.growth!.method}): ${moved} mask entries moved, max abs difference ${difference.toExponential(1)}`);
        expect(difference, spec.name).toBeLessThan(1e-6);
        // Connections moved, so the agreement is not of two untouched masks.
        expect(moved, spec.name).toBeGreaterThan(0);
        // RigL's train-mode gradient moved no batch norm's running statistics, in either target.
        for (const model of [theirs, ours[i]!]) expect(statisticsOf(model), spec.name).toEqual(statisticsOf(start));
        for (const model of [start, theirs, ours[i]!]) model.dispose();
      }
      console.log(figures.join("\n"));
    },
    300_000,
  );
});
