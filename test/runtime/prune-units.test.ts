import { describe, expect, it } from "vitest";
import { prune, tf, type Model } from "../../runtime/index.js";
import { prunableWeights, readWeights, weightVariable, type PrunableWeight } from "../../runtime/pruning/weights.js";
import { buildModel } from "../support/models.js";
import { rankedUnits, unitOfEntry } from "../support/unit-oracle.js";

type Unit = "kernel" | "channel" | "neuron";

const CONV = "network C { input [2, 7, 7] features [conv(4, kernel=3), max_pool(2), conv(5, kernel=2, padding=same)] dense 5 output 3 }";
const DENSE = "network D { input 6 dense [7, 5] output 3 }";
const recurrent = (kind: string): string => `network R { input [4, 3] recurrent ${kind}(hidden=[6, 5]) dense 4 output 3 }`;

/** Units of `weights` with every entry pruned, and whether every unit is either wholly live or wholly pruned. */
function unitStates(model: Model, unit: Unit, weights: readonly PrunableWeight[]): { dead: string[]; whole: boolean } {
  const seen = new Map<string, Set<number>>();
  for (const w of weights)
    model.getMask(w.name).forEach((m, i) => {
      const key = `${w.layer}#${unitOfEntry(unit, w, i)}`;
      seen.set(key, (seen.get(key) ?? new Set()).add(m));
    });
  return {
    dead: [...seen]
      .filter(([, s]) => !s.has(1))
      .map(([k]) => k)
      .sort(),
    whole: [...seen.values()].every((s) => s.size === 1),
  };
}

const ofKind = (model: Model, kinds: readonly string[]): PrunableWeight[] => prunableWeights(model).filter((w) => kinds.includes(w.kind));

describe("prune by unit: whole kernels, channels and neurons, ranked by the sum of their entries' saliencies", () => {
  it.each([
    ["kernel", CONV, ["conv"], 4],
    ["channel", CONV, ["conv"], 5],
    ["neuron", DENSE, ["dense"], 6],
    ["neuron", recurrent("lstm"), ["dense", "recurrent"], 7],
    ["neuron", recurrent("gru"), ["dense", "recurrent"], 8],
  ] as const)("unit=%s, global magnitude: the pruned units are brute force's lowest, whole (%s)", async (unit, source, kinds, seed) => {
    const model = await buildModel(source, { seed });
    const weights = ofKind(model, kinds);
    const order = rankedUnits(model, unit, weights);
    const count = Math.floor(0.35 * order.length);
    const result = prune(model, { amount: { percent: 35 }, unit });
    const { dead, whole } = unitStates(model, unit, weights);
    expect(count).toBeGreaterThan(1);
    expect(dead).toEqual(order.slice(0, count).sort());
    expect(whole).toBe(true);
    // Weights the unit does not fit are untouched.
    for (const w of prunableWeights(model).filter((w) => !(kinds as readonly string[]).includes(w.kind))) expect(model.getMask(w.name).every((m) => m === 1)).toBe(true);
    expect(result.pruned).toBe(prunableWeights(model).reduce((n, w) => n + w.size, 0) - result.live);
    model.dispose();
  });

  it("layer scope ranks each layer's units on its own; a count is a count of units, a budget one of their summed saliencies", async () => {
    const model = await buildModel(DENSE, { seed: 9 });
    const dense = ofKind(model, ["dense"]);
    const expected = [...new Set(dense.map((w) => w.layer))].flatMap((layer) =>
      rankedUnits(
        model,
        "neuron",
        dense.filter((w) => w.layer === layer),
      ).slice(0, 2),
    );
    prune(model, { amount: { count: 2 }, unit: "neuron", scope: "layer" });
    expect(unitStates(model, "neuron", dense).dead).toEqual(expected.sort());

    const other = await buildModel(DENSE, { seed: 9 });
    const sums = rankedUnits(other, "neuron", dense);
    const perUnit = new Map<string, number>();
    for (const w of dense) readWeights(other, w).forEach((v, i) => perUnit.set(`${w.layer}#${i % w.neurons}`, (perUnit.get(`${w.layer}#${i % w.neurons}`) ?? 0) + Math.abs(v)));
    const budget = perUnit.get(sums[0]!)! + perUnit.get(sums[1]!)! + perUnit.get(sums[2]!)! * 0.999;
    prune(other, { amount: { budget }, unit: "neuron" });
    expect(unitStates(other, "neuron", dense).dead).toEqual(sums.slice(0, 2).sort());
    [model, other].forEach((m) => m.dispose());
  });

  it("a recurrent neuron unit zeroes that neuron in every gate of both the input and the hidden weight, and nothing else", async () => {
    for (const [kind, gates] of [
      ["lstm", 4],
      ["gru", 3],
      ["rnn", 1],
    ] as const) {
      const model = await buildModel(recurrent(kind), { seed: 10 });
      prune(model, { amount: { count: 2 }, unit: "neuron", blocks: ["lstm1", "gru1", "rnn1"].flatMap((l) => [`${l}.input`, `${l}.hidden`]).filter((n) => n.startsWith(kind)) });
      const [input, hidden] = [model.getMask(`${kind}1.input`), model.getMask(`${kind}1.hidden`)];
      const width = gates * 6;
      const deadColumns = (mask: Uint8Array, rows: number): number[] =>
        Array.from({ length: width }, (_, c) => c).filter((c) => Array.from({ length: rows }, (_, r) => mask[r * width + c]).every((m) => m === 0));
      const columns = deadColumns(input, 3);
      expect(deadColumns(hidden, 6)).toEqual(columns);
      expect(columns).toHaveLength(2 * gates);
      const neurons = [...new Set(columns.map((c) => c % 6))];
      expect(neurons).toHaveLength(2);
      expect(columns).toEqual(
        Array.from({ length: gates }, (_, g) => neurons.map((n) => g * 6 + n))
          .flat()
          .sort((a, b) => a - b),
      );
      // Every other column is whole; the second layer is out of scope.
      expect(input.reduce((a, b) => a + b, 0)).toBe(3 * (width - 2 * gates));
      expect(model.getMask(`${kind}2.hidden`).every((m) => m === 1)).toBe(true);
      model.dispose();
    }
  });

  it("pruned channels are not computed, and the output is the unpruned network's with those weights zeroed", async () => {
    const pruned = await buildModel(CONV, { seed: 11 });
    const zeroed = await buildModel(CONV, { seed: 11 });
    prune(pruned, { amount: { percent: 50 }, unit: "channel", blocks: ["conv1"] });
    const conv1 = prunableWeights(zeroed).find((w) => w.name === "conv1")!;
    const mask = pruned.getMask("conv1");
    expect(unitStates(pruned, "channel", [conv1]).dead).toHaveLength(2);
    weightVariable(zeroed, conv1).assign(
      tf.tensor(
        readWeights(zeroed, conv1).map((v, i) => v * mask[i]!),
        [3, 3, 2, 4],
      ),
    );
    const x = tf.randomUniform([6, 2, 7, 7], -1, 1, "float32", 12);
    const [a, b] = [pruned.predict(x), zeroed.predict(x)];
    expect(Math.max(...Array.from(tf.abs(tf.sub(a, b)).dataSync()))).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    [pruned, zeroed].forEach((m) => m.dispose());
  });

  it("refuses a weight the unit does not fit, a unit that fits no weight of the model, and an unknown unit", async () => {
    const model = await buildModel(CONV, { seed: 1 });
    expect(() => prune(model, { amount: { count: 1 }, unit: "channel", blocks: ["conv1", "dense1->output"] })).toThrow(
      "C.prune: unit 'channel' groups conv weights, and 'dense1->output' is a dense weight",
    );
    expect(() => prune(model, { amount: { count: 1 }, unit: "neuron", blocks: ["conv2"] })).toThrow(
      "unit 'neuron' groups dense and recurrent weights, and 'conv2' is a conv weight",
    );
    expect(() => prune(model, { amount: { count: 1 }, unit: "filter" as Unit })).toThrow("unknown unit 'filter'; expected one of weight, kernel, channel, neuron, gate, layer");
    const dense = await buildModel(DENSE);
    expect(() => prune(dense, { amount: { count: 1 }, unit: "kernel" })).toThrow("D.prune: unit 'kernel' groups conv weights, and the model has none");
    [model, dense].forEach((m) => m.dispose());
  });
});
