import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyze, networkSpec } from "../../src/index.js";
import { createNetwork } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

function specOf(source: string, network = 0) {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return networkSpec(plans![network]!);
}

describe("masks and pruning in the language", () => {
  it("the seed's first example: MaskedDeepFFN(784, 10, [200, 100]) with 10% pruned by magnitude at creation", async () => {
    const source = readFileSync(new URL("../../examples/pruning.ds", import.meta.url), "utf8");
    const { plans } = analyze(source, { fileName: "examples/pruning.ds" });
    const model = await createNetwork(networkSpec(plans!.find((p) => p.network.name === "Pruned")!), { backend: "cpu", seed: 1 });
    const total = 784 * 200 + 200 * 100 + 100 * 10;
    expect(model.totalConnections()).toBe(total);
    expect(model.liveConnections()).toBe(total - Math.floor(0.1 * total));
    // Every pruned weight is at most every live one in magnitude.
    let largestPruned = 0;
    let smallestLive = Infinity;
    const stored = new Map(model.parameters.map((p) => [p.name, p.variable.dataSync()]));
    for (const block of model.blocks) {
      const mask = model.getMask(block.name);
      const fused = stored.get(`${block.target}.weight`)!;
      mask.forEach((m, i) => {
        const w = Math.abs(fused[i]!);
        if (m === 0) largestPruned = Math.max(largestPruned, w);
        else smallestLive = Math.min(smallestLive, w);
      });
    }
    expect(largestPruned).toBeLessThanOrEqual(smallestLive);
  });

  it("mask random(density, seed) keeps each connection of the chosen layers with that probability, the same every time", () => {
    const source = "network R { input 100 dense 50 output 4 mask random(density=0.3, seed=5, layers=[dense1]) }";
    const a = specOf(source);
    expect(a).toEqual(specOf(source));
    const model = createNetwork(a, { backend: "cpu" });
    return model.then((m) => {
      expect(m.liveConnections("input->dense1") / 5000).toBeGreaterThan(0.27);
      expect(m.liveConnections("input->dense1") / 5000).toBeLessThan(0.33);
      expect(m.liveConnections("dense1->output")).toBe(200);
    });
  });

  it("prune lines become the spec's schedules, with their layers resolved into blocks", () => {
    const spec = specOf(
      "graph t = balanced_tree(2, 2)\nnetwork P { input 4 dense 8 structure t output 2\n  prune iterative(percent=20, every=2, target=0.8, rewind=3, layers=[t])\n  prune gradual(final=0.5, start=10, end=100, every=10, scope=layer)\n  prune one_shot(percent=5, step=40, saliency=random, seed=2) }",
    );
    expect(spec.pruning).toEqual([
      {
        kind: "iterative",
        percent: 20,
        every: 2,
        target: 0.8,
        rewind: { epoch: 3 },
        saliency: "magnitude",
        scope: "global",
        seed: 0,
        blocks: ["dense1->t.d0", "t.d0->t.d1", "t.d1->t.d2"],
      },
      { kind: "gradual", initial: 0, final: 0.5, start: 10, end: 100, every: 10, saliency: "magnitude", scope: "layer", seed: 0 },
      { kind: "oneShot", percent: 5, atStep: 40, saliency: "random", scope: "global", seed: 2 },
    ]);
  });

  it("a pruning schedule from the .ds file is carried out by fit without being passed in", async () => {
    const model = await buildModel("network S { input 4 dense 6 output 2\n  prune one_shot(percent=50, epoch=1) }");
    const { tf } = await import("../../runtime/index.js");
    const history = await model.fit({ x: tf.zeros([8, 4]), y: tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], "int32") }, { epochs: 2, batchSize: 4 });
    expect(history.epochs.map((e) => e.pruned)).toEqual([18, 0]);
  });

  it.each([
    ["prune whenever(percent=10)", "DS2005", "'prune' expects one of one_shot(…), iterative(…), gradual(…), but got a call to whenever(...)"],
    ["prune iterative(percent=10, target=1.5)", "DS2006", "'target' must be between 0 and 1, but is 1.5"],
    ["prune one_shot(percent=10, epoch=1, step=5)", "DS2006", "'one_shot' must be given an epoch or a step, not both, but is epoch=1 and step=5"],
    ["prune iterative(percent=10, target=0.5, rewind=later)", "DS2005", "'rewind' expects none, init or an epoch number, but got the name 'later'"],
    ["mask random(density=0.5, layers=[nowhere])", "DS2027", "network 'N' has no layer 'nowhere'"],
  ])("%s is refused: %s", (line, code, message) => {
    const { diagnostics } = analyze(`network N { input 4 dense 3 output 2\n  ${line} }`);
    const d = diagnostics.find((x) => x.code === code);
    expect(d?.message).toBe(message);
    expect(d?.span.start.line).toBe(2);
  });
});

describe("mask file(...)", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "dsc-masks-"));
  writeFileSync(join(dir, "m.json"), JSON.stringify({ "input->dense1": [1, 0, 0, 1, 1, 0], "dense1->output": [1, 1, 1, 1] }));

  it("sets the masks of the chosen blocks from the file", async () => {
    const { plans, diagnostics } = analyze('network F { input 2 dense 3 output 2\n  mask file("m.json", layers=[dense1]) }', { fileName: join(dir, "f.ds") });
    expect(diagnostics).toEqual([]);
    const model = await createNetwork(networkSpec(plans![0]!), { backend: "cpu" });
    expect(Array.from(model.getMask("input->dense1"))).toEqual([1, 0, 0, 1, 1, 0]);
    expect(model.liveConnections("dense1->output")).toBe(6);
  });

  it("reports a block the file lacks, a wrong length, and a missing file at the mask line", () => {
    const at = (source: string): string[] => analyze(source, { fileName: join(dir, "f.ds") }).diagnostics.map((d) => `${d.code}@${d.span.start.line}: ${d.message}`);
    expect(at('network F { input 2 dense 3 output 2\n  mask file("m.json") }')).toEqual([
      "DS2023@2: file 'm.json' is malformed: the mask of block 'dense1->output' has 4 entries; expected 6",
    ]);
    expect(at('network F { input 2 dense 2 output 2\n  mask file("none.json") }')[0]).toMatch(/^DS2022@2: cannot read file 'none.json': no such file/);
  });
});
