import { describe, expect, it } from "vitest";
import { prune, tf, type Model } from "../../runtime/index.js";
import { loss } from "../../runtime/training/losses.js";
import { prunableWeights, readWeights, weightVariable, type PrunableWeight } from "../../runtime/pruning/weights.js";
import { buildModel } from "../support/models.js";
import { rankedUnits, unitOfEntry } from "../support/unit-oracle.js";

const recurrent = (kind: string): string => `network R { input [4, 3] recurrent ${kind}(hidden=[6, 5]) dense 4 output 3 }`;
const CONV = "network C { input [2, 7, 7] features [conv(4, kernel=3), max_pool(2), conv(5, kernel=2, padding=same)] dense [6, 5] output 3 }";
const DENSE = "network D { input 6 dense [7, 5] output 3 }";

/** The units with no live entry, sorted. */
function deadUnits(model: Model, unit: "gate" | "layer", weights: readonly PrunableWeight[]): string[] {
  const live = new Map<string, boolean>();
  for (const w of weights)
    model.getMask(w.name).forEach((m, i) => live.set(`${w.layer}#${unitOfEntry(unit, w, i)}`, (live.get(`${w.layer}#${unitOfEntry(unit, w, i)}`) ?? false) || m === 1));
  return [...live]
    .filter(([, l]) => !l)
    .map(([k]) => k)
    .sort();
}

const ofKind = (model: Model, kinds: readonly string[]): PrunableWeight[] => prunableWeights(model).filter((w) => kinds.includes(w.kind));
const sum = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

describe("order-2 units: whole gates of recurrent layers and whole layers, ranked by brute force's sums", () => {
  it.each([
    ["lstm", 4, 21],
    ["gru", 3, 22],
    ["rnn", 1, 23],
  ] as const)("unit=gate over a %s (%i gates a layer): after a weight pruning, the lowest live Σ|w| gates go, each whole in both weights", async (kind, gates, seed) => {
    const model = await buildModel(recurrent(kind), { seed });
    const weights = ofKind(model, ["recurrent"]);
    // Some entries already pruned: a gate's saliency counts its live entries only.
    prune(model, { amount: { percent: 30 }, blocks: weights.map((w) => w.name) });
    const order = rankedUnits(model, "gate", weights);
    expect(order).toHaveLength(2 * gates);
    const count = Math.max(1, Math.floor(order.length / 2));
    const before = weights.map((w) => model.getMask(w.name));
    prune(model, { amount: { count }, unit: "gate" });
    const dead = order.slice(0, count);
    expect(deadUnits(model, "gate", weights)).toEqual([...dead].sort());
    // Only whole gates changed: a dead gate's entries are all 0, every other entry is as it was.
    for (const [k, w] of weights.entries()) {
      const expected = before[k]!.map((m, i) => (dead.includes(`${w.layer}#${unitOfEntry("gate", w, i)}`) ? 0 : m));
      expect(model.getMask(w.name)).toEqual(expected);
    }
    // Dense blocks are out of a gate's reach.
    for (const w of ofKind(model, ["dense"])) expect(sum(model.getMask(w.name))).toBe(w.size);
    model.dispose();
  });

  it("unit=gate under layer scope prunes each recurrent layer's own lowest gates, and a percentage counts gates", async () => {
    const model = await buildModel(recurrent("lstm"), { seed: 24 });
    const weights = ofKind(model, ["recurrent"]);
    const expected = ["lstm1", "lstm2"].flatMap((layer) =>
      rankedUnits(
        model,
        "gate",
        weights.filter((w) => w.layer === layer),
      ).slice(0, 2),
    );
    prune(model, { amount: { percent: 50 }, unit: "gate", scope: "layer" });
    expect(deadUnits(model, "gate", weights)).toEqual(expected.sort());
    model.dispose();
  });

  it.each([
    ["convs and dense layers", CONV, 25],
    ["recurrent and dense layers", recurrent("gru"), 26],
    // Depths fed by several blocks (skip connections): a layer's blocks are one unit.
    ["a structure's depths, run sparse", "graph g = random_dag(12, 4, 0.5, seed=2)\nnetwork S { input 5 structure g output 3 execution sparse }", 27],
  ] as const)("unit=layer over %s: the layers of lowest Σ|w| go whole, a percentage counting layers", async (_, source, seed) => {
    const model = await buildModel(source, { seed });
    const weights = prunableWeights(model);
    prune(model, { amount: { percent: 20 } });
    const order = rankedUnits(model, "layer", weights);
    expect(order.length).toBeGreaterThanOrEqual(4);
    const result = prune(model, { amount: { percent: 50 }, unit: "layer" });
    const dead = order.slice(0, Math.floor(order.length / 2));
    expect(deadUnits(model, "layer", weights)).toEqual([...dead].sort());
    // Every other layer keeps its live entries as they were: the count is the entries of the dead layers.
    expect(result.live).toBe(weights.filter((w) => !dead.includes(`${w.layer}#0`)).reduce((n, w) => n + sum(model.getMask(w.name)), 0));
    model.dispose();
  });
});

describe("what a pruned gate and a pruned layer compute", () => {
  it("a pruned lstm gate gives exactly the network with its columns zeroed, and its weights then get exactly 0 gradient", async () => {
    const [pruned, zeroed] = [await buildModel(recurrent("lstm"), { seed: 31 }), await buildModel(recurrent("lstm"), { seed: 31 })];
    const lstm1 = ofKind(pruned, ["recurrent"]).filter((w) => w.layer === "lstm1");
    prune(pruned, { amount: { count: 2 }, unit: "gate", blocks: lstm1.map((w) => w.name) });
    const dead = deadUnits(pruned, "gate", lstm1);
    expect(dead).toHaveLength(2);
    const deadGates = new Set(dead.map((k) => Number(k.split("#")[1])));
    for (const w of lstm1) {
      const values = readWeights(zeroed, w).map((v, i) => (deadGates.has(unitOfEntry("gate", w, i)) ? 0 : v));
      weightVariable(zeroed, w).assign(tf.tensor(values, [w.shape[0]!, w.shape[1]!]));
    }
    const x = tf.randomUniform([5, 4, 3], -1, 1, "float32", 32);
    const [a, b] = [pruned.predict(x), zeroed.predict(x)];
    expect(Math.max(...tf.abs(tf.sub(a, b)).dataSync())).toBeLessThan(1e-6);

    const y = tf.tensor1d([0, 1, 2, 0, 1], "int32");
    const variables = lstm1.map((w) => weightVariable(pruned, w));
    const { grads } = tf.variableGrads(() => loss("crossEntropy", pruned.predict(x) as tf.Tensor2D, y), variables);
    for (const [k, w] of lstm1.entries()) {
      const g = grads[variables[k]!.name]!.dataSync();
      const inDead = Array.from(g).filter((_, i) => deadGates.has(unitOfEntry("gate", w, i)));
      const inLive = Array.from(g).filter((_, i) => !deadGates.has(unitOfEntry("gate", w, i)));
      expect(inDead).toHaveLength(2 * w.neurons * w.shape[0]!);
      expect(inDead.every((v) => v === 0)).toBe(true);
      expect(inLive.some((v) => v !== 0)).toBe(true);
    }
    tf.dispose([x, y, a, b, ...Object.values(grads)]);
    [pruned, zeroed].forEach((m) => m.dispose());
  });

  it("a pruned lstm forget gate is σ(bias), not 0: changing its bias changes the output, changing its weights does not", async () => {
    const model = await buildModel(recurrent("lstm"), { seed: 33 });
    const lstm1 = ofKind(model, ["recurrent"]).filter((w) => w.layer === "lstm1");
    // Gate 1 (forget) of lstm1: a saliency that ranks it lowest.
    const saliency = Object.fromEntries(
      prunableWeights(model).map((w) => [w.name, Float64Array.from({ length: w.size }, (_, i) => (w.layer === "lstm1" && unitOfEntry("gate", w, i) === 1 ? 0 : 1))]),
    );
    prune(model, { amount: { count: 1 }, unit: "gate", blocks: lstm1.map((w) => w.name), saliency });
    expect(deadUnits(model, "gate", lstm1)).toEqual(["lstm1#1"]);
    const x = tf.randomUniform([4, 4, 3], -1, 1, "float32", 34);
    const before = model.predict(x);
    for (const w of lstm1) {
      const values = readWeights(model, w).map((v, i) => (unitOfEntry("gate", w, i) === 1 ? v + 0.5 : v));
      weightVariable(model, w).assign(tf.tensor(values, [w.shape[0]!, w.shape[1]!]));
    }
    const afterWeights = model.predict(x);
    expect(Math.max(...tf.abs(tf.sub(before, afterWeights)).dataSync())).toBe(0);
    const bias = model.parameters.find((p) => p.name === "lstm1.bias")!.variable;
    bias.assign(tf.tensor1d(Array.from(bias.dataSync(), (v, i) => (Math.floor(i / 6) === 1 ? v - 3 : v))));
    const afterBias = model.predict(x);
    expect(Math.max(...tf.abs(tf.sub(before, afterBias)).dataSync())).toBeGreaterThan(1e-4);
    tf.dispose([x, before, afterWeights, afterBias]);
    model.dispose();
  });

  it("a pruned dense layer leaves the network computing with its bias only: every input gives W_out·relu(b) + b_out", async () => {
    const model = await buildModel(DENSE, { seed: 35 });
    const into = prunableWeights(model).filter((w) => w.layer === "dense2");
    prune(model, { amount: { count: 1 }, unit: "layer", blocks: into.map((w) => w.name) });
    for (const w of into) expect(sum(model.getMask(w.name))).toBe(0);
    const [b2, out, bOut] = [model.getBias("dense2"), model.getWeights("dense2->output"), model.getBias("output")];
    const expected = Array.from({ length: 3 }, (_, o) => bOut[o]! + Array.from(b2).reduce((s, b, j) => s + Math.max(0, b) * out[j * 3 + o]!, 0));
    const x = tf.randomUniform([7, 6], -2, 2, "float32", 36);
    const y = model.predict(x);
    const rows = y.arraySync() as number[][];
    for (const row of rows) row.forEach((v, o) => expect(v).toBeCloseTo(expected[o]!, 5));
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe("unit=layer's sum favours small layers, and what ranks layers by their mean instead", () => {
  it("magnitude and normalizedMagnitude prune the smallest layer; a saliency of |w| over its layer's live entries ranks by mean |w|", async () => {
    const scales: Record<string, number> = { dense1: 0.1, dense2: 0.3, output: 0.2 };
    const build = async (): Promise<Model> => {
      const model = await buildModel(DENSE, { seed: 37 });
      for (const w of prunableWeights(model))
        model.setWeights(
          w.name,
          Float32Array.from({ length: w.size }, (_, i) => (i % 2 === 0 ? 1 : -1) * scales[w.layer]!),
        );
      return model;
    };
    const prunedLayer = (model: Model): string[] => [
      ...new Set(
        prunableWeights(model)
          .filter((w) => sum(model.getMask(w.name)) === 0)
          .map((w) => w.layer),
      ),
    ];
    // Σ|w|: dense1 42 × 0.1 = 4.2, dense2 35 × 0.3 = 10.5, output 15 × 0.2 = 3: the output layer goes, though its weights are not the smallest.
    const byMagnitude = await build();
    prune(byMagnitude, { amount: { count: 1 }, unit: "layer" });
    expect(prunedLayer(byMagnitude)).toEqual(["output"]);
    // |w| / σ is about 1 for every entry here, so the sum is about the entry count: the smallest layer goes again.
    const byNormalized = await build();
    prune(byNormalized, { amount: { count: 1 }, unit: "layer", saliency: "normalizedMagnitude" });
    expect(prunedLayer(byNormalized)).toEqual(["output"]);
    // The mean: each entry's |w| divided by its layer's live entries.
    const byMean = await build();
    const entries = new Map<string, number>();
    for (const w of prunableWeights(byMean)) entries.set(w.layer, (entries.get(w.layer) ?? 0) + sum(byMean.getMask(w.name)));
    const saliency = Object.fromEntries(prunableWeights(byMean).map((w) => [w.name, Float64Array.from(byMean.getWeights(w.name), (v) => Math.abs(v) / entries.get(w.layer)!)]));
    prune(byMean, { amount: { count: 1 }, unit: "layer", saliency });
    expect(prunedLayer(byMean)).toEqual(["dense1"]);
    [byMagnitude, byNormalized, byMean].forEach((m) => m.dispose());
  });
});

describe("unit=layer under layer scope in prune()", () => {
  it("ranks each layer alone: a count of 1 prunes every layer in scope, a share below 100% of one unit none", async () => {
    const model = await buildModel(DENSE, { seed: 38 });
    expect(prune(model, { amount: { percent: 50 }, unit: "layer", scope: "layer" }).pruned).toBe(0);
    const blocks = prunableWeights(model).filter((w) => w.layer !== "output");
    const result = prune(model, { amount: { count: 1 }, unit: "layer", scope: "layer", blocks: blocks.map((w) => w.name) });
    expect(result.pruned).toBe(42 + 35);
    for (const w of prunableWeights(model)) expect(sum(model.getMask(w.name))).toBe(w.layer === "output" ? w.size : 0);
    model.dispose();
  });
});

describe("a pruned conv layer", () => {
  it.each(["conv1", "conv2"])("%s pruned whole gives exactly the network with its kernel zeroed (every channel from its bias)", async (conv) => {
    const [pruned, zeroed] = [await buildModel(CONV, { seed: 39 }), await buildModel(CONV, { seed: 39 })];
    prune(pruned, { amount: { count: 1 }, unit: "layer", blocks: [conv] });
    expect(sum(pruned.getMask(conv))).toBe(0);
    const weight = prunableWeights(zeroed).find((w) => w.name === conv)!;
    const variable = weightVariable(zeroed, weight);
    variable.assign(tf.zerosLike(variable));
    const bias = zeroed.parameters.find((p) => p.name === `${conv}.bias`)!.variable;
    // A bias away from 0, the same in both, so "computed from its bias" and "left out" differ.
    for (const model of [pruned, zeroed]) model.parameters.find((p) => p.name === `${conv}.bias`)!.variable.assign(tf.linspace(-0.5, 0.7, bias.shape[0]!));
    const x = tf.randomUniform([3, 2, 7, 7], -1, 1, "float32", 40);
    const [a, b] = [pruned.predict(x), zeroed.predict(x)];
    expect(Math.max(...tf.abs(tf.sub(a, b)).dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, a, b]);
    [pruned, zeroed].forEach((m) => m.dispose());
  });
});
