/**
 * Recurrent masks that come with the spec (`spec.recurrent.masks`, e.g. a
 * hidden-to-hidden mask made from a graph): the generated module builds its
 * mask buffers from them, whatever made them, and draws the weights the
 * runtime draws under them — 0 where masked, bit for bit elsewhere.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNetwork, type NetworkSpec } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { encodeMask } from "../../runtime/masks/codec.js";
import { createRandom } from "../../runtime/random.js";
import { recurrentLayerShapes } from "../../runtime/recurrent/shapes.js";
import { compileExample, effectiveDifference, entries, hasTorch, maskedNonZero, runPython } from "./support.js";

/** Each layer's input and hidden masks, about a third of the entries off, from `seed`. */
function withRandomMasks(spec: NetworkSpec, seed: number): NetworkSpec {
  const recurrent = spec.recurrent!;
  const random = createRandom(seed);
  const live = (size: number): string =>
    encodeMask(
      size,
      [...Array(size).keys()].filter(() => random.next() >= 1 / 3),
    );
  const masks = recurrentLayerShapes(recurrent, spec.inputShape[1]!).map(({ inputs, hidden, gates }) => ({
    input: live(inputs * gates * hidden),
    hidden: live(hidden * gates * hidden),
  }));
  return { ...spec, recurrent: { ...recurrent, masks } };
}

describe.skipIf(!hasTorch)("recurrent masks from the spec", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("become the module's mask buffers, and the initial weights are the runtime's under them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-recurrent-masks-"));
    dirs.push(dir);
    const { module, specs } = await compileExample("test/pytorch/fixtures/recurrent.ds", dir);
    const masked = specs.map((spec, i) => withRandomMasks(spec, 40 + i));
    await writeFile(join(dir, "specs.json"), JSON.stringify(masked));
    const script = [
      "import importlib.util, json, os, sys",
      "s = importlib.util.spec_from_file_location('m', sys.argv[1]); m = importlib.util.module_from_spec(s); s.loader.exec_module(m)",
      "for spec in json.load(open(sys.argv[2])):",
      "    m.NETWORKS[spec['name']](spec, seed=3).to_run(os.path.join(sys.argv[3], spec['name']))",
    ].join("\n");
    runPython(["-c", script, module, join(dir, "specs.json"), dir]);
    for (const spec of masked) {
      const [ours, theirs] = [await createNetwork(spec, { backend: "cpu", seed: 3 }), await loadModel(join(dir, spec.name), { backend: "cpu" })];
      const [left, right] = [await entries(ours), await entries(theirs)];
      for (const name of [...left.keys()].filter((n) => /\.(input|hidden)\.mask$/.test(n))) {
        expect(Buffer.from(right.get(name)!).equals(Buffer.from(left.get(name)!)), `${spec.name} ${name}`).toBe(true);
        // The masks are the spec's, not full ones: about a third of the entries are off.
        expect(left.get(name)!.filter((v) => v === 0).length, `${spec.name} ${name} has masked entries`).toBeGreaterThan(0);
      }
      expect(await effectiveDifference(ours, theirs), spec.name).toBe(0);
      expect(await maskedNonZero(theirs), spec.name).toBe(0);
      const written = JSON.parse(await readFile(join(dir, spec.name, "model.json"), "utf8")) as { spec: NetworkSpec };
      expect(written.spec.recurrent!.masks).toEqual(spec.recurrent!.masks);
      ours.dispose();
      theirs.dispose();
    }
  }, 120_000);
});
