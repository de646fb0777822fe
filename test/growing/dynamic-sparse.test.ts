import { describe, expect, it } from "vitest";
import { applySparseStart, dynamicSparseHooks, tf, type DynamicSparsity, type GrowthEvent, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const mlp = "network M { input 12 dense [20, 10] output 3 }";
const data = {
  x: tf.randomUniform([64, 12], -1, 1, "float32", 5),
  y: tf.tensor1d(
    Array.from({ length: 64 }, (_, i) => i % 3),
    "int32",
  ),
};
const live = (model: Model): Record<string, number> => Object.fromEntries(model.blocks.map((b) => [b.name, model.liveConnections(b.name)]));

describe("dynamic sparse training", () => {
  it.each(["set", "rigl"] as const)("%s keeps every block's live connections constant across updates, and does move connections", async (method) => {
    const model = await buildModel(mlp, { seed: 1 });
    const config: DynamicSparsity = { method, sparsity: 0.8, every: 2, dropFraction: 0.3, stop: 100 };
    applySparseStart(model, config);
    const start = live(model);
    const masks = model.blocks.map((b) => model.getMask(b.name));
    const counts: Record<string, number>[] = [];
    const history = await model.fit(data, { epochs: 2, batchSize: 8, growth: config, callbacks: { onBatchEnd: () => void counts.push(live(model)) } });
    for (const c of counts) expect(c).toEqual(start);
    expect(model.blocks.some((b, i) => model.getMask(b.name).some((m, j) => m !== masks[i]![j]))).toBe(true);
    const moved = history.epochs.map((e) => e.regrown);
    expect(moved.every((n, i) => n === history.epochs[i]!.dropped && n > 0)).toBe(true);
  });

  it("RigL regrows exactly the inactive connections with the largest |gradient| (brute force), with zero weights", async () => {
    const model = await buildModel(mlp, { seed: 2 });
    const config: DynamicSparsity = { method: "rigl", sparsity: 0.7, every: 1, dropFraction: 0.25, decay: "constant", stop: 10 };
    applySparseStart(model, config);
    const batch = { x: tf.slice(data.x, 0, 16), y: tf.slice(data.y, 0, 16) };
    const before = new Map(model.blocks.map((b) => [b.name, model.getMask(b.name)]));
    const gradients = model.denseWeightGradients(batch);
    const events: GrowthEvent[] = [];
    dynamicSparseHooks(model, config, events).batchEnd(batch);
    for (const block of model.blocks) {
      const old = before.get(block.name)!;
      const now = model.getMask(block.name);
      const g = gradients.get(block.name)!;
      const k = Math.floor(0.25 * old.reduce((a, b) => a + b, 0));
      const inactive = Array.from(old.keys()).filter((i) => old[i] === 0);
      const expected = inactive
        .sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!) || a - b)
        .slice(0, k)
        .sort((a, b) => a - b);
      const grown = Array.from(now.keys()).filter((i) => old[i] === 0 && now[i] === 1);
      expect(grown).toEqual(expected);
      const w = model.getWeights(block.name);
      for (const i of grown) expect(w[i]).toBe(0);
    }
    expect(events).toHaveLength(1);
  });

  it("draws the sparse start: uniform gives every block the same density; ERK favours small blocks, with the same total", async () => {
    const uniform = await buildModel(mlp, { seed: 3 });
    applySparseStart(uniform, { method: "set", sparsity: 0.75, every: 1, dropFraction: 0.1, stop: 1, distribution: "uniform" });
    for (const b of uniform.blocks) expect(uniform.liveConnections(b.name)).toBe(Math.round(0.25 * b.sourceSize * b.targetSize));
    const erk = await buildModel(mlp, { seed: 3 });
    applySparseStart(erk, { method: "set", sparsity: 0.75, every: 1, dropFraction: 0.1, stop: 1, distribution: "erk" });
    const density = (b: { name: string; sourceSize: number; targetSize: number }): number => erk.liveConnections(b.name) / (b.sourceSize * b.targetSize);
    const [first, second, third] = erk.blocks;
    expect(density(third!)).toBeGreaterThan(density(second!));
    expect(density(second!)).toBeGreaterThan(density(first!));
    const ratio = density(first!) / density(second!);
    expect(ratio).toBeCloseTo((12 + 20) / (12 * 20) / ((20 + 10) / (20 * 10)), 1);
    expect(Math.abs(erk.liveConnections() - 0.25 * erk.totalConnections())).toBeLessThanOrEqual(3);
  });

  it("cosine decay: the fraction dropped shrinks as dropFraction/2 · (1 + cos(π t / stop)), and updates stop at `stop`", async () => {
    const model = await buildModel(mlp, { seed: 4 });
    const config: DynamicSparsity = { method: "set", sparsity: 0.5, every: 2, dropFraction: 0.4, decay: "cosine", stop: 8 };
    applySparseStart(model, config);
    const events: GrowthEvent[] = [];
    const hooks = dynamicSparseHooks(model, config, events);
    const batch = { x: tf.slice(data.x, 0, 8), y: tf.slice(data.y, 0, 8) };
    for (let t = 1; t <= 12; t++) hooks.batchEnd(batch);
    expect(events.map((e) => e.step)).toEqual([2, 4, 6, 8]);
    const expected = (t: number): number => model.blocks.reduce((n, b) => n + Math.floor(0.2 * (1 + Math.cos((Math.PI * t) / 8)) * model.liveConnections(b.name)), 0);
    expect(events.map((e) => e.dropped)).toEqual([2, 4, 6, 8].map(expected));
  });
});

describe("grow in the language", async () => {
  const { analyze, networkSpec } = await import("../../src/index.js");
  it("grow rigl(…) becomes the spec's growth with its layers resolved; the network starts at the sparsity", async () => {
    const { plans, diagnostics } = analyze("network G { input 30 dense 20 output 3\n  grow rigl(sparsity=0.8, every=10, stop=50, layers=[dense1]) }");
    expect(diagnostics).toEqual([]);
    const spec = networkSpec(plans![0]!);
    expect(spec.growth).toEqual({
      method: "rigl",
      sparsity: 0.8,
      distribution: "uniform",
      every: 10,
      dropFraction: 0.3,
      decay: "cosine",
      stop: 50,
      regrow: "zero",
      seed: 0,
      blocks: ["input->dense1"],
    });
    const model = await buildModel("network G { input 30 dense 20 output 3\n  grow set(sparsity=0.8, every=10, stop=50, layers=[dense1]) }");
    expect(model.liveConnections("input->dense1")).toBe(120);
    expect(model.spec.growth?.regrow).toBe("random");
  });

  it("refuses a sparsity of 1 and an unknown method", () => {
    const codes = (line: string): string[] => analyze(`network G { input 3 output 2\n  ${line} }`).diagnostics.map((d) => `${d.code}: ${d.message}`);
    expect(codes("grow rigl(sparsity=1, stop=10)")).toEqual(["DS2006: 'sparsity' must be below 1, but is 1"]);
    expect(codes("grow rigel(sparsity=0.5, stop=10)")[0]).toContain("'grow' expects one of rigl(…), set(…)");
  });
});
