import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyMask, computeSaliency, prune, pruneBlock, recomputeMask, startSymbol, tf, toTensors, type Model } from "../../runtime/index.js";
import { prunableWeights, readWeights, weightVariable } from "../../runtime/pruning/weights.js";
import { loss as lossOf } from "../../runtime/training/losses.js";
import { createRandom } from "../../runtime/random.js";
import { buildModel } from "../support/models.js";

const CONV = "network C { input [1, 8, 8] features [conv(4, kernel=3), max_pool(2), conv(6, kernel=3, padding=same)] dense 5 output 3 }";
const LSTM = "network R { input [6, 3] recurrent lstm(hidden=[8, 5]) dense 4 output 3 }";
const CELLS = "cell block = [conv(3, kernel=3, padding=same)]\ngraph g = balanced_tree(2, 1)\nnetwork N { input [1, 6, 6] structure g cells block head 4 dense 5 output 2 }";

/** Every live entry of every prunable weight as `${weight}#${index}`, sorted by |w|, then weight order, then index. */
function bruteForceOrder(model: Model, names?: readonly string[]): string[] {
  const all: { key: string; s: number; k: number; i: number }[] = [];
  prunableWeights(model)
    .filter((w) => names === undefined || names.includes(w.name))
    .forEach((weight, k) => {
      const mask = model.getMask(weight.name);
      readWeights(model, weight).forEach((v, i) => mask[i] === 1 && all.push({ key: `${weight.name}#${i}`, s: Math.abs(v), k, i }));
    });
  return all.sort((x, y) => x.s - y.s || x.k - y.k || x.i - y.i).map((c) => c.key);
}

function masks(model: Model): Map<string, Uint8Array> {
  return new Map(prunableWeights(model).map((w) => [w.name, model.getMask(w.name)]));
}

function prunedSince(model: Model, before: Map<string, Uint8Array>): string[] {
  const keys: string[] = [];
  for (const [name, mask] of before) {
    const now = model.getMask(name);
    mask.forEach((m, i) => m === 1 && now[i] === 0 && keys.push(`${name}#${i}`));
  }
  return keys.sort();
}

function labels(count: number, classes: number): tf.Tensor2D {
  return tf.oneHot(
    tf.tensor1d(
      Array.from({ length: count }, (_, i) => (i * 7) % classes),
      "int32",
    ),
    classes,
  ) as tf.Tensor2D;
}

describe("prune reaches conv, cell-conv and recurrent weights", () => {
  it("lists every prunable weight with its layer and mask shape", async () => {
    const conv = await buildModel(CONV);
    expect(prunableWeights(conv).map((w) => [w.name, w.kind, w.layer, w.size])).toEqual([
      ["conv1", "conv", "conv1", 3 * 3 * 1 * 4],
      ["conv2", "conv", "conv2", 3 * 3 * 4 * 6],
      ["features->dense1", "dense", "dense1", 6 * 3 * 3 * 5],
      ["dense1->output", "dense", "output", 5 * 3],
    ]);
    const lstm = await buildModel(LSTM);
    expect(prunableWeights(lstm).map((w) => [w.name, w.layer, w.shape])).toEqual([
      ["lstm1.input", "lstm1", [3, 32]],
      ["lstm1.hidden", "lstm1", [8, 32]],
      ["lstm2.input", "lstm2", [8, 20]],
      ["lstm2.hidden", "lstm2", [5, 20]],
      ["recurrent->dense1", "dense1", [5, 4]],
      ["dense1->output", "output", [4, 3]],
    ]);
    const cells = await buildModel(CELLS);
    const cellConvs = prunableWeights(cells).filter((w) => w.kind === "conv");
    expect(cellConvs.length).toBeGreaterThanOrEqual(3);
    expect(cellConvs.some((w) => w.name.includes("."))).toBe(true);
    [conv, lstm, cells].forEach((m) => m.dispose());
  });

  it.each([
    ["conv", CONV],
    ["recurrent", LSTM],
    ["cell", CELLS],
  ])("global magnitude over %s weights prunes exactly the lowest |w| of all together, ties by position", async (_, source) => {
    const model = await buildModel(source, { seed: 3 });
    const order = bruteForceOrder(model);
    const before = masks(model);
    const result = prune(model, { amount: { percent: 60 } });
    const count = Math.floor(0.6 * order.length);
    expect(result.pruned).toBe(count);
    expect(prunedSince(model, before)).toEqual(order.slice(0, count).sort());
    expect(result.total).toBe(order.length);
    expect(result.live).toBe(order.length - count);
    // Percentages apply to what is still live: a second round prunes 60% of the rest.
    const again = bruteForceOrder(model);
    const second = prune(model, { amount: { percent: 60 } });
    expect(second.pruned).toBe(Math.floor(0.6 * again.length));
    model.dispose();
  });

  it("layer scope ranks each layer on its own: a conv alone, a recurrent layer's input and hidden weights together", async () => {
    for (const source of [CONV, LSTM]) {
      const model = await buildModel(source, { seed: 5 });
      const layers = new Map<string, string[]>();
      for (const w of prunableWeights(model)) layers.set(w.layer, [...(layers.get(w.layer) ?? []), w.name]);
      const expected = [...layers.values()].flatMap((names) => {
        const order = bruteForceOrder(model, names);
        return order.slice(0, Math.floor(0.5 * order.length));
      });
      const before = masks(model);
      prune(model, { amount: { percent: 50 }, scope: "layer" });
      expect(prunedSince(model, before)).toEqual(expected.sort());
      model.dispose();
    }
  });

  it("blocks names conv and recurrent weights alone; unknown names list every prunable weight", async () => {
    const model = await buildModel(LSTM, { seed: 2 });
    const before = masks(model);
    const order = bruteForceOrder(model, ["lstm2.hidden"]);
    prune(model, { amount: { count: 10 }, blocks: ["lstm2.hidden"] });
    const pruned = prunedSince(model, before);
    expect(pruned).toEqual(order.slice(0, 10).sort());
    expect(prunedSince(model, new Map([...before].filter(([name]) => name !== "lstm2.hidden")))).toEqual([]);
    expect(() => prune(model, { amount: { count: 1 }, blocks: ["lstm3.input"] })).toThrow("unknown block 'lstm3.input'; prunable weights are 'lstm1.input', 'lstm1.hidden'");
    model.dispose();
  });

  it("taylor, obd and snip over conv and recurrent weights use the loss gradient of those weights (against finite differences)", async () => {
    for (const [source, weightName, shape] of [
      [CONV, "conv2", [1, 8, 8]],
      [LSTM, "lstm1.hidden", [6, 3]],
    ] as const) {
      const model = await buildModel(source, { seed: 7 });
      const data = { x: tf.randomUniform([6, ...shape], -1, 1, "float32", 4), y: labels(6, 3) };
      const weight = prunableWeights(model).find((w) => w.name === weightName)!;
      const w = readWeights(model, weight);
      const taylor = computeSaliency(model, "taylor", { data, batchSize: 6 }).get(weightName)!;
      const obd = computeSaliency(model, "obd", { data, batchSize: 6 }).get(weightName)!;
      const snip = computeSaliency(model, "snip", { data });
      const variable = weightVariable(model, weight);
      const lossAt = (values: Float32Array): number => {
        variable.assign(tf.tensor(values, variable.shape));
        return tf.tidy(() => lossOf("crossEntropy", model.predict(data.x) as tf.Tensor2D, data.y).dataSync()[0]!);
      };
      // The entries with the largest saliency: their gradients stand well above float32's finite-difference noise.
      const top = Array.from(taylor.keys())
        .sort((a, b) => taylor[b]! - taylor[a]!)
        .slice(0, 3);
      for (const i of top) {
        const h = 1e-2;
        const plus = Float32Array.from(w);
        plus[i]! += h;
        const minus = Float32Array.from(w);
        minus[i]! -= h;
        const g = (lossAt(plus) - lossAt(minus)) / (2 * h);
        expect(taylor[i]!).toBeCloseTo(Math.abs(w[i]! * g), 2);
        expect(Math.abs(taylor[i]! - Math.abs(w[i]! * g))).toBeLessThan(0.05 * taylor[i]! + 1e-5);
        expect(obd[i]!).toBeCloseTo(0.5 * g * g * w[i]! * w[i]!, 3);
      }
      lossAt(w);
      const snipTotal = [...snip.values()].reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0);
      expect(snipTotal).toBeCloseTo(1, 5);
      expect(snip.get(weightName)![top[0]!]!).toBeGreaterThan(0);
      // A gradient-saliency prune of that weight alone removes its lowest |w·g| first.
      const before = masks(model);
      prune(model, { amount: { count: 5 }, saliency: "taylor", data, batchSize: 6, blocks: [weightName] });
      const lowest = Array.from(taylor.keys())
        .sort((a, b) => taylor[a]! - taylor[b]! || a - b)
        .slice(0, 5)
        .map((i) => `${weightName}#${i}`);
      expect(prunedSince(model, before)).toEqual(lowest.sort());
      tf.dispose([data.x, data.y]);
      model.dispose();
    }
  });

  it("random draws a block's values the same whatever the scope and the convs before it (as the PyTorch target draws them)", async () => {
    const withConvs = await buildModel(CONV, { seed: 1 });
    const all = computeSaliency(withConvs, "random", { seed: 4 });
    const dense = prunableWeights(withConvs).filter((w) => w.kind === "dense");
    const alone = computeSaliency(withConvs, "random", { seed: 4 }, dense.slice(1));
    expect(alone.get("dense1->output")).toEqual(all.get("dense1->output"));
    // Dense blocks draw first: the first block's values are the stream's first values.
    const first = all.get("features->dense1")!;
    const again = computeSaliency(withConvs, "random", { seed: 4 }, dense.slice(0, 1)).get("features->dense1")!;
    expect(again).toEqual(first);
    const stream = createRandom(4);
    expect(Array.from(first)).toEqual(Array.from({ length: first.length }, () => stream.next()));
    expect(all.get("conv1")!.length).toBe(36);
    expect(all.get("conv1")).not.toEqual(first.slice(0, 36));
    withConvs.dispose();
  });

  it("takes synflow over conv and recurrent weights by name, as over the dense blocks (test/runtime/synflow-reach.test.ts checks its values)", async () => {
    const model = await buildModel(CONV, { seed: 1 });
    const all = prune(model, { amount: { percent: 10 }, saliency: "synflow" });
    expect(all.pruned).toBe(Math.floor(0.1 * all.total));
    const result = prune(model, { amount: { count: 4 }, saliency: "synflow", blocks: ["dense1->output"] });
    expect(result.pruned).toBe(4);
    model.dispose();
    const lstm = await buildModel(LSTM);
    expect(prune(lstm, { amount: { count: 3 }, saliency: "synflow", blocks: ["lstm2.input"] }).pruned).toBe(3);
    lstm.dispose();
  });

  it("pruneBlock, applyMask and recomputeMask reach conv and recurrent weights", async () => {
    const model = await buildModel(CONV, { seed: 9 });
    pruneBlock(model, "conv1");
    expect(model.getMask("conv1").every((m) => m === 0)).toBe(true);
    const conv2 = prunableWeights(model).find((w) => w.name === "conv2")!;
    prune(model, { amount: { percent: 30 }, blocks: ["conv2"] });
    const mask = model.getMask("conv2");
    expect(readWeights(model, conv2).some((v, i) => mask[i] === 0 && v !== 0)).toBe(true); // kept under the mask until applied
    applyMask(model);
    expect(readWeights(model, conv2).every((v, i) => mask[i] === 1 || v === 0)).toBe(true);
    const w = readWeights(model, conv2);
    const theta = [...w].map(Math.abs).sort((a, b) => a - b)[Math.floor(0.6 * w.length)]!;
    recomputeMask(model, theta);
    const after = model.getMask("conv2");
    w.forEach((v, i) => expect(after[i]).toBe(mask[i] === 1 && Math.abs(v) > theta ? 1 : 0));
    model.dispose();
  });
});

/** Every masked entry of every conv and recurrent weight: its effective value (weight ⊙ mask) and its stored value. */
function maskedEntries(model: Model): { effective: number[]; stored: Map<string, Float32Array> } {
  const effective: number[] = [];
  const stored = new Map<string, Float32Array>();
  for (const weight of prunableWeights(model).filter((w) => w.kind !== "dense")) {
    const mask = model.getMask(weight.name);
    const values = readWeights(model, weight);
    values.forEach((v, i) => mask[i] === 0 && effective.push(v * mask[i]!));
    stored.set(
      weight.name,
      values.filter((_, i) => mask[i] === 0),
    );
  }
  return { effective, stored };
}

describe("the examples pruned to 80% by global magnitude train on with pruned weights exactly 0", () => {
  it("examples/conv.ds", async () => {
    const model = await buildModel(readFileSync("examples/conv.ds", "utf8"), { seed: 0 });
    const result = prune(model, { amount: { percent: 80 } });
    expect(result.sparsity).toBeCloseTo(0.8, 3);
    for (const name of ["conv1", "conv2", "conv3"]) {
      const mask = model.getMask(name);
      expect(mask.reduce((a, b) => a + b, 0)).toBeLessThan(mask.length); // the ranking reached every conv
    }
    const before = maskedEntries(model);
    const x = tf.randomUniform([16, 1, 28, 28], 0, 1, "float32", 2);
    const y = labels(16, 10);
    const history = await model.fit({ x, y }, { epochs: 2, batchSize: 8, learningRate: 0.01, seed: 1 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    const after = maskedEntries(model);
    expect(after.effective.every((v) => v === 0)).toBe(true);
    for (const [name, values] of before.stored) expect(after.stored.get(name)).toEqual(values); // no optimizer moved them
    tf.dispose([x, y]);
    model.dispose();
  }, 120_000);

  it("examples/recurrent.ds on the start-symbol task", async () => {
    const model = await buildModel(readFileSync("examples/recurrent.ds", "utf8"), { seed: 0 });
    const result = prune(model, { amount: { percent: 80 } });
    expect(result.sparsity).toBeCloseTo(0.8, 3);
    const { x, y } = toTensors(startSymbol({ samples: 64, seed: 1 }));
    const history = await model.fit({ x, y }, { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 1 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    for (const weight of prunableWeights(model).filter((w) => w.kind === "recurrent")) {
      const mask = model.getMask(weight.name);
      expect(mask.reduce((a, b) => a + b, 0)).toBeLessThan(mask.length);
      // Recurrent storage keeps pruned weights at 0 itself.
      expect(readWeights(model, weight).every((v, i) => mask[i] === 1 || v === 0)).toBe(true);
    }
    tf.dispose([x, y]);
    model.dispose();
  }, 120_000);
});
