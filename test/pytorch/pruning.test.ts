/**
 * Pruning schedules in the generated module choose what the runtime
 * chooses: from the same weights and masks, driven through the same points
 * of training (epochs, steps), every schedule of test/pytorch/fixtures/
 * schedules.ds and of examples/pruning.ds (but Ticket, whose rewinding is
 * not carried out in PyTorch) leaves the same masks, entry for entry, after
 * every epoch; one-shot pruning at creation is in initial.test.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { saveWeights } from "../../runtime/files.js";
import type { Model } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { pruningHooks } from "../../runtime/pruning/schedule.js";
import { compileExample, entries, hasTorch, randomModel, runPython, SCRIPTS } from "./support.js";

const EPOCHS = 5;
// Steps per epoch: enough for pruning.ds's Gradual, which starts at step 100 and passes the masks' 20% at step 200.
const SOURCES: readonly { readonly file: string; readonly skip: readonly string[]; readonly steps: number }[] = [
  { file: "test/pytorch/fixtures/schedules.ds", skip: [], steps: 3 },
  { file: "examples/pruning.ds", skip: ["Ticket"], steps: 60 },
];

/** Every mask entry of a model's file, by name. */
async function masks(model: Model): Promise<Map<string, Uint8Array>> {
  return new Map([...(await entries(model))].filter(([name]) => name.endsWith(".mask")) as [string, Uint8Array][]);
}

const live = (all: Map<string, Uint8Array>): number => [...all.values()].reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0);

describe.skipIf(!hasTorch)("pruning schedules in PyTorch choose the runtime's connections", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(SOURCES)(
    "every schedule of $file, 5 epochs of $steps steps, masks after each epoch",
    async ({ file, skip, steps }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-pruning-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      const chosen = specs.filter((spec) => !skip.includes(spec.name) && (spec.pruning ?? []).some((s) => !(s.kind === "oneShot" && s.atEpoch === 0)));
      const ours = new Map<string, Map<string, Uint8Array>[]>();
      const jobs = [];
      for (const [i, spec] of chosen.entries()) {
        const model = await randomModel(spec, 21 + i);
        const out = join(dir, spec.name);
        await saveWeights(model, join(out, "start"));
        const hooks = pruningHooks(model, spec.pruning ?? []);
        const perEpoch: Map<string, Uint8Array>[] = [];
        hooks.trainBegin();
        for (let epoch = 1; epoch <= EPOCHS; epoch++) {
          hooks.epochBegin(epoch);
          for (let step = 0; step < steps; step++) hooks.batchEnd();
          hooks.epochEnd();
          perEpoch.push(await masks(model));
        }
        ours.set(spec.name, perEpoch);
        model.dispose();
        jobs.push({ module, run: join(out, "start"), out, epochs: EPOCHS, steps });
      }
      await writeFile(join(dir, "jobs.json"), JSON.stringify(jobs));
      runPython([join(SCRIPTS, "schedules.py"), join(dir, "jobs.json")]);
      const figures: string[] = [];
      for (const spec of chosen) {
        const start = await loadModel(join(dir, spec.name, "start"), { backend: "cpu" });
        const before = live(await masks(start));
        start.dispose();
        const counts: number[] = [];
        for (let epoch = 1; epoch <= EPOCHS; epoch++) {
          const theirs = await loadModel(join(dir, spec.name, `epoch-${epoch}`), { backend: "cpu" });
          const [expected, got] = [ours.get(spec.name)![epoch - 1]!, await masks(theirs)];
          theirs.dispose();
          expect([...got.keys()]).toEqual([...expected.keys()]);
          for (const [name, mask] of expected) expect(Buffer.from(got.get(name)!).equals(Buffer.from(mask)), `${spec.name} ${name} after epoch ${epoch}`).toBe(true);
          counts.push(live(got));
        }
        // Something was pruned, so the agreement is not of two untouched masks.
        expect(counts.at(-1)!, spec.name).toBeLessThan(before);
        figures.push(`${spec.name}: live ${before} -> ${counts.join(", ")}`);
      }
      console.log(figures.join("\n"));
    },
    300_000,
  );
});
