/** dsc diff of two run folders compares every masked weight: dense blocks, convs (stem, cells, head) and recurrent weights. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { saveWeights } from "../../runtime/files.js";
import { diffRuns, loadRun } from "../../src/index.js";
import type { Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

async function saved(model: Model): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "deepstruct-diff-runs-"));
  folders.push(folder);
  await saveWeights(model, folder);
  return folder;
}

/** Switches off every `every`-th live entry of `weight`; returns how many. */
function prune(model: Model, weight: string, every: number): number {
  const mask = model.getMask(weight);
  let off = 0;
  model.setMask(
    weight,
    mask.map((m, i) => (m === 1 && i % every === 0 ? (off++, 0) : m)),
  );
  return off;
}

describe("dsc diff of run folders", () => {
  it.each([
    [
      "a cell network's cell and head convs",
      "cell c = [conv(3, kernel=3, padding=same)]\ngraph g = edges { 0 -> 1 }\nnetwork N { input [1, 5, 5] features [conv(2, kernel=3)] structure g cells c head 4 output 2 }",
      ["conv1", "cell1.conv1", "head.conv"],
    ],
    ["a recurrent layer's input and hidden weights", "network R { input [3, 2] recurrent lstm(hidden=[4]) dense 3 output 2 }", ["lstm1.input", "lstm1.hidden", "dense1->output"]],
  ])("counts the entries pruned in %s, and the weights that moved", async (_, source, weights) => {
    const model = await buildModel(source, { seed: 1 });
    const before = await loadRun(await saved(model));
    const pruned = weights.map((w, i) => prune(model, w, 2 + i));
    const after = await loadRun(await saved(model));
    const diff = diffRuns(before, after);
    for (const [i, w] of weights.entries()) {
      const block = diff.blocks.find((b) => b.name === w);
      expect(block, w).toBeDefined();
      expect(block!.pruned, w).toBe(pruned[i]);
      expect(block!.grown, w).toBe(0);
      expect(block!.unchanged, w).toBe(model.liveConnections(w));
    }
    expect(diff.totals.pruned).toBe(pruned.reduce((a, b) => a + b, 0));
    expect(diff.totals.moved).toBe(0);
    model.dispose();
  });
});
