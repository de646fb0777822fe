/**
 * Training from scratch in PyTorch: a generated class built with a seed
 * (no run folder) has the initial weights the TypeScript runtime draws for
 * that seed — bit for bit, since both compute the hash (runtime/init.ts) in
 * integers and the bound times the draw in float64, rounded once to float32.
 * One-shot pruning at creation (Pruning.at_creation) and the sparse start
 * of SET/RigL (Growth.sparse_start, the runtime's random stream draw for
 * draw) choose the runtime's connections; weights are compared as the
 * networks compute with them (weights times masks), and masks entry for entry.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNetwork } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { compileExample, effectiveDifference, hasTorch, parameterDifference, pytorchSources, runPython, SCRIPTS } from "./support.js";

// Every example, and networks the examples do not show (learnable masks: test/pytorch/fixtures).
const FIXTURES = "test/pytorch/fixtures";
const examples = [...(await pytorchSources("examples")), ...(await pytorchSources(FIXTURES))];
const SEEDS = [0, 7, 4294967295];

describe.skipIf(!hasTorch)("Network(seed=S) in PyTorch starts where createNetwork(spec, { seed: S }) does", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(examples)(
    "every network of %s, seeds 0, 7 and 2^32 - 1, bit for bit",
    async (file) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-init-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      for (const seed of SEEDS) {
        const out = join(dir, `seed-${seed}`);
        runPython([join(SCRIPTS, "initial.py"), module, String(seed), out]);
        for (const spec of specs) {
          const [ours, theirs] = [await createNetwork(spec, { backend: "cpu", seed }), await loadModel(join(out, spec.name), { backend: "cpu" })];
          expect(await effectiveDifference(ours, theirs), `${file} ${spec.name} seed ${seed}`).toBe(0);
          ours.dispose();
          theirs.dispose();
        }
      }
      // Seeds draw different weights, so equality above is not of two constant fills.
      const [a, b] = [await loadModel(join(dir, "seed-0", specs[0]!.name), { backend: "cpu" }), await loadModel(join(dir, "seed-7", specs[0]!.name), { backend: "cpu" })];
      expect(await parameterDifference(a, b)).toBeGreaterThan(1e-3);
      a.dispose();
      b.dispose();
    },
    300_000,
  );
});
