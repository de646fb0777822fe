import { describe, expect, it } from "vitest";
import { pruneChannels, pruneConvUnits, tf, type Model } from "../../runtime/index.js";
import { prunableWeights, readWeights, weightVariable } from "../../runtime/pruning/weights.js";
import { buildModel } from "../support/models.js";

const CONV = "network C { input [1, 8, 8] features [conv(4, kernel=3), max_pool(2), conv(6, kernel=3, padding=same)] dense 5 output 3 }";

type Unit = "channel" | "kernel";

/** Brute force: every live unit of every conv as `${conv}#${unit}`, with its live entries' Σ|w|, in the order pruning ranks them. */
function unitOrder(model: Model, unit: Unit, convs?: readonly string[]): string[] {
  const all: { key: string; s: number; k: number; u: number }[] = [];
  prunableWeights(model)
    .filter((w) => w.kind === "conv" && (convs === undefined || convs.includes(w.name)))
    .forEach((conv, k) => {
      const [rows, cols, inputs, outputs] = conv.shape as [number, number, number, number];
      const w = readWeights(model, conv);
      const mask = model.getMask(conv.name);
      const sums = new Map<number, number>();
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++)
          for (let i = 0; i < inputs; i++)
            for (let o = 0; o < outputs; o++) {
              const entry = ((r * cols + c) * inputs + i) * outputs + o;
              if (mask[entry] === 0) continue;
              const u = unit === "channel" ? o : i * outputs + o;
              sums.set(u, (sums.get(u) ?? 0) + Math.abs(w[entry]!));
            }
      for (const [u, s] of sums) all.push({ key: `${conv.name}#${u}`, s, k, u });
    });
  return all.sort((a, b) => a.s - b.s || a.k - b.k || a.u - b.u).map((x) => x.key);
}

/** The units of each conv with no live entry left, as `${conv}#${unit}`. */
function deadUnits(model: Model, unit: Unit): string[] {
  const keys: string[] = [];
  for (const conv of prunableWeights(model).filter((w) => w.kind === "conv")) {
    const [, , inputs, outputs] = conv.shape as [number, number, number, number];
    const live = new Uint8Array(unit === "channel" ? outputs : inputs * outputs);
    model.getMask(conv.name).forEach((m, i) => m === 1 && (live[unit === "channel" ? i % outputs : (Math.floor(i / outputs) % inputs) * outputs + (i % outputs)] = 1));
    live.forEach((l, u) => l === 0 && keys.push(`${conv.name}#${u}`));
  }
  return keys.sort();
}

describe("order 1 for convs: output channels and input × output kernels as units", () => {
  it.each(["channel", "kernel"] as const)("global magnitude prunes the %s units of lowest L1 norm over every conv, whole", async (unit) => {
    const model = await buildModel(CONV, { seed: 4 });
    const order = unitOrder(model, unit);
    const count = Math.floor(0.4 * order.length);
    const entries = prunableWeights(model).reduce((n, w) => n + (w.kind === "conv" ? w.size : 0), 0);
    const result = pruneConvUnits(model, { unit, amount: { percent: 40 } });
    expect(deadUnits(model, unit)).toEqual(order.slice(0, count).sort());
    const perUnit = (name: string): number => (unit === "channel" ? (name === "conv1" ? 9 : 9 * 4) : 9);
    expect(result.pruned).toBe(order.slice(0, count).reduce((n, key) => n + perUnit(key.split("#")[0]!), 0));
    const liveConv = prunableWeights(model)
      .filter((w) => w.kind === "conv")
      .reduce((n, w) => n + model.getMask(w.name).reduce((a, b) => a + b, 0), 0);
    expect(liveConv).toBe(entries - result.pruned);
    model.dispose();
  });

  it("layer scope ranks each conv's units on its own; convs names the convs", async () => {
    const model = await buildModel(CONV, { seed: 5 });
    const expected = ["conv1", "conv2"].flatMap((name) => unitOrder(model, "kernel", [name]).slice(0, 3));
    pruneConvUnits(model, { unit: "kernel", amount: { count: 3 }, scope: "layer" });
    expect(deadUnits(model, "kernel")).toEqual(expected.sort());
    const other = await buildModel(CONV, { seed: 5 });
    const onlyConv2 = unitOrder(other, "channel", ["conv2"]).slice(0, 2);
    pruneConvUnits(other, { unit: "channel", amount: { count: 2 }, convs: ["conv2"] });
    expect(deadUnits(other, "channel")).toEqual(onlyConv2.sort());
    expect(() => pruneConvUnits(other, { unit: "channel", amount: { count: 1 }, convs: ["dense1->output"] })).toThrow("'dense1->output' is not a conv");
    [model, other].forEach((m) => m.dispose());
  });

  it("pruneChannels drops whole filters: the output is the unpruned network's with those filters' weights zeroed", async () => {
    const pruned = await buildModel(CONV, { seed: 6 });
    const zeroed = await buildModel(CONV, { seed: 6 });
    pruneChannels(pruned, "conv2", [1, 4]);
    expect(deadUnits(pruned, "channel")).toEqual(["conv2#1", "conv2#4"]);
    const conv2 = prunableWeights(zeroed).find((w) => w.name === "conv2")!;
    const w = readWeights(zeroed, conv2).map((v, i) => (i % 6 === 1 || i % 6 === 4 ? 0 : v));
    weightVariable(zeroed, conv2).assign(tf.tensor(w, [3, 3, 4, 6]));
    const x = tf.randomUniform([5, 1, 8, 8], -1, 1, "float32", 8);
    const [a, b] = [pruned.predict(x), zeroed.predict(x)];
    expect(Math.max(...Array.from(tf.abs(tf.sub(a, b)).dataSync()))).toBeLessThan(1e-5);
    expect(() => pruneChannels(pruned, "conv2", [6])).toThrow("conv 'conv2' has output channels 0 … 5, not 6");
    tf.dispose([x, a, b]);
    [pruned, zeroed].forEach((m) => m.dispose());
  });
});
