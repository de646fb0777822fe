/** SET and RigL over conv and recurrent weights: constant live counts, exact zeros, RigL's choice against an independent gradient, seeds. */
import { describe, expect, it } from "vitest";
import { applySparseStart, createNetwork, dynamicSparseHooks, tf, type DynamicSparsity, type Model, type Tensor2D } from "../../runtime/index.js";
import { keepingState, prunableWeights, readWeights, weightVariable, writeWeights, type PrunableWeight } from "../../runtime/pruning/weights.js";
import { loss } from "../../runtime/training/losses.js";
import { restoreSnapshot, takeSnapshot } from "../../runtime/training/snapshot.js";
import { analyze, networkSpec } from "../../src/index.js";

const CONV = `network C {
  input [2, 6, 6]
  features [conv(4, kernel=3, padding=same), batch_norm(), max_pool(2), conv(5, kernel=[2, 3])]
  dense 6
  output 3
}`;
const LSTM = `network R {
  input [5, 3]
  recurrent lstm(hidden=[6, 4])
  output 3
}`;
const SAMPLES = 24;

function specOf(source: string) {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return networkSpec(plans![0]!);
}

function batchFor(model: Model, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randomUniform([SAMPLES, ...model.inputShape], -1, 1, "float32", seed);
  const y = tf.tensor1d(
    Array.from({ length: SAMPLES }, (_, i) => (i * 7 + seed) % 3),
    "int32",
  );
  return { x, y };
}

const CELLS = `cell block = [conv(6, kernel=3, padding=same), batch_norm()]
graph g = balanced_tree(2, 1)
network N { input [1, 6, 6] structure g cells block head 8 output 3 }`;
const cases = [
  ["a conv network", CONV],
  ["an LSTM network", LSTM],
  ["a cell network", CELLS],
] as const;
const reached = (model: Model): PrunableWeight[] => prunableWeights(model).filter((w) => w.kind !== "dense");
const count = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

/**
 * The training-mode loss gradient of `weight` at every entry (RigL's: batch
 * norms normalise the batch by its own statistics, as fit's step does),
 * taken without the runtime's dense-gradient path: a copy of the model whose
 * copy of `weight` has a full mask and the effective values (0 where `model`
 * masks), so it computes the same outputs, and tf.variableGrads on that
 * copy's variable.
 */
async function independentGradient(source: string, model: Model, weight: PrunableWeight, batch: { x: tf.Tensor; y: tf.Tensor }): Promise<Float32Array> {
  const copy = await createNetwork(specOf(source), { backend: "cpu", seed: 9 });
  for (const p of [...model.parameters, ...model.state]) [...copy.parameters, ...copy.state].find((q) => q.name === p.name)!.variable.assign(p.variable);
  for (const w of prunableWeights(model)) copy.setMask(w.name, model.getMask(w.name));
  const mask = model.getMask(weight.name);
  copy.setMask(weight.name, new Uint8Array(weight.size).fill(1));
  writeWeights(
    copy,
    weight,
    readWeights(model, weight).map((v, i) => (mask[i] === 1 ? v : 0)),
  );
  const variable = weightVariable(copy, weight);
  const gradient = tf.tidy(() => tf.variableGrads(() => loss("crossEntropy", copy.predict(batch.x, { training: true }) as Tensor2D, batch.y), [variable]).grads[variable.name]!);
  const values = Float32Array.from(gradient.dataSync());
  gradient.dispose();
  copy.dispose();
  return values;
}

describe.each(cases)("dynamic sparse training over %s", (_, source) => {
  it.each(["set", "rigl"] as const)(
    "%s keeps every weight's live count through fit, masked weights exactly 0 with exactly 0 gradient",
    async (method) => {
      const model = await createNetwork(specOf(source), { backend: "cpu", seed: 1 });
      const config: DynamicSparsity = { method, sparsity: 0.6, every: 1, dropFraction: 0.3, stop: 100, regrow: method === "set" ? "random" : "zero" };
      applySparseStart(model, config);
      const weights = reached(model);
      const start = weights.map((w) => count(model.getMask(w.name)));
      for (const [w, live] of weights.map((w, i) => [w, start[i]!] as const)) expect(live).toBe(Math.round(0.4 * w.size));
      const masks = weights.map((w) => model.getMask(w.name));
      const batch = batchFor(model, 3);
      const counts: number[][] = [];
      const history = await model.fit(batch, {
        epochs: 2,
        batchSize: 8,
        growth: config,
        callbacks: { onBatchEnd: () => void counts.push(weights.map((w) => count(model.getMask(w.name)))) },
      });
      expect(counts).toHaveLength(6);
      for (const c of counts) expect(c).toEqual(start);
      expect(history.epochs.every((e) => e.regrown === e.dropped && e.regrown > 0)).toBe(true);
      weights.forEach((w, i) => expect(model.getMask(w.name)).not.toEqual(masks[i])); // every weight moved
      const variables = weights.map((w) => weightVariable(model, w));
      const grads = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => loss("crossEntropy", model.predict(batch.x) as Tensor2D, batch.y), variables);
        return variables.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
      });
      weights.forEach((w, i) => {
        const mask = model.getMask(w.name);
        const stored = readWeights(model, w);
        for (let k = 0; k < w.size; k++) {
          if (mask[k] === 1) continue;
          expect(Math.abs(stored[k]!)).toBe(0);
          expect(Math.abs(grads[i]![k]!)).toBe(0);
        }
        expect(grads[i]!.some((g, k) => mask[k] === 1 && g !== 0)).toBe(true);
      });
      tf.dispose([batch.x, batch.y]);
      model.dispose();
    },
    60_000,
  );

  it("RigL regrows exactly the inactive entries with the largest |gradient| of an independent training-mode dense gradient, at 0", async () => {
    const model = await createNetwork(specOf(source), { backend: "cpu", seed: 2 });
    const config: DynamicSparsity = { method: "rigl", sparsity: 0.7, every: 1, dropFraction: 0.25, decay: "constant", stop: 10 };
    applySparseStart(model, config);
    const batch = batchFor(model, 4);
    const weights = reached(model);
    const before = weights.map((w) => model.getMask(w.name));
    const reference = await Promise.all(weights.map((w) => independentGradient(source, model, w, batch)));
    const ours = keepingState(model, () => model.denseWeightGradients(batch, "crossEntropy", { training: true }));
    const ranked = weights.map((w, i) => {
      const g = ours.get(w.name)!;
      reference[i]!.forEach((r, k) => expect(g[k]).toBeCloseTo(r, 5));
      return reference[i]!.some((r, k) => before[i]![k] === 0 && r !== 0); // masked entries have a gradient to rank
    });
    expect(ranked.every(Boolean)).toBe(true);
    dynamicSparseHooks(model, config).batchEnd(batch);
    weights.forEach((w, i) => {
      const old = before[i]!;
      const now = model.getMask(w.name);
      const g = reference[i]!;
      const k = Math.floor(0.25 * count(old));
      const expected = Array.from(old.keys())
        .filter((j) => old[j] === 0)
        .sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!) || a - b)
        .slice(0, k)
        .sort((a, b) => a - b);
      const grown = Array.from(now.keys()).filter((j) => old[j] === 0 && now[j] === 1);
      expect(grown).toEqual(expected);
      expect(count(now)).toBe(count(old));
      const values = readWeights(model, w);
      for (const j of grown) expect(Math.abs(values[j]!)).toBe(0);
    });
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  }, 60_000);

  it("gives every entry, masked ones too, the same dense gradient on the WASM backend as on the CPU", async () => {
    const gradients = async (backend: "cpu" | "wasm"): Promise<Map<string, Float32Array>> => {
      const model = await createNetwork(specOf(source), { backend, seed: 4 });
      expect(model.backend).toBe(backend);
      applySparseStart(model, { method: "rigl", sparsity: 0.5, every: 1, dropFraction: 0.3, stop: 10 });
      const batch = batchFor(model, 8);
      const result = model.denseWeightGradients(batch);
      tf.dispose([batch.x, batch.y]);
      model.dispose();
      return result;
    };
    const cpu = await gradients("cpu");
    const wasm = await gradients("wasm");
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    for (const [name, g] of cpu) {
      const other = wasm.get(name)!;
      g.forEach((v, k) => expect(Math.abs(other[k]! - v)).toBeLessThan(1e-5 + 1e-4 * Math.abs(v)));
      expect(g.some((v) => v !== 0)).toBe(true);
    }
  }, 60_000);

  it("gives identical masks and weights for the same seeds, and another sparse start for another seed", async () => {
    const run = async (seed: number): Promise<{ masks: Uint8Array[]; values: Float32Array[] }> => {
      const model = await createNetwork(specOf(source), { backend: "cpu", seed: 1 });
      const config: DynamicSparsity = { method: "set", sparsity: 0.5, every: 2, dropFraction: 0.4, stop: 50, regrow: "random", seed };
      applySparseStart(model, config);
      const batch = batchFor(model, 5);
      await model.fit(batch, { epochs: 1, batchSize: 6, growth: config, seed: 2 });
      const weights = reached(model);
      const result = { masks: weights.map((w) => model.getMask(w.name)), values: weights.map((w) => readWeights(model, w)) };
      tf.dispose([batch.x, batch.y]);
      model.dispose();
      return result;
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(b).toEqual(a);
    expect(c.masks).not.toEqual(a.masks);
  }, 60_000);
});

describe.each(cases)("snapshots of %s (early stopping's best epoch, training states)", (_, source) => {
  it("bring back the conv and recurrent masks and weights growth moved since", async () => {
    const model = await createNetwork(specOf(source), { backend: "cpu", seed: 3 });
    const config: DynamicSparsity = { method: "rigl", sparsity: 0.6, every: 1, dropFraction: 0.5, decay: "constant", stop: 10 };
    applySparseStart(model, config);
    const weights = reached(model);
    const masks = weights.map((w) => model.getMask(w.name));
    const values = weights.map((w) => readWeights(model, w));
    const snapshot = takeSnapshot(model);
    const batch = batchFor(model, 7);
    dynamicSparseHooks(model, config).batchEnd(batch);
    expect(weights.map((w) => model.getMask(w.name))).not.toEqual(masks);
    restoreSnapshot(model, snapshot, "the test's snapshot");
    expect(weights.map((w) => model.getMask(w.name))).toEqual(masks);
    expect(weights.map((w) => readWeights(model, w))).toEqual(values);
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  });
});

describe("the sparse start over conv weights", () => {
  it("ERK gives each conv a density ∝ (k_h + k_w + c_in + c_out)/(k_h · k_w · c_in · c_out), the total kept", async () => {
    const model = await createNetwork(specOf(CONV), { backend: "cpu", seed: 1 });
    const weights = prunableWeights(model);
    applySparseStart(model, { method: "set", sparsity: 0.8, every: 1, dropFraction: 0.1, stop: 1, distribution: "erk" });
    const live = weights.map((w) => count(model.getMask(w.name)));
    const total = weights.reduce((n, w) => n + w.size, 0);
    expect(Math.abs(live.reduce((a, b) => a + b, 0) - 0.2 * total)).toBeLessThanOrEqual(weights.length);
    const raw = weights.map((w) => w.shape.reduce((a, d) => a + d, 0) / w.size);
    const conv2 = weights.findIndex((w) => w.name === "conv2");
    expect(weights[conv2]!.shape).toEqual([2, 3, 4, 5]);
    expect(raw[conv2]).toBeCloseTo((2 + 3 + 4 + 5) / (2 * 3 * 4 * 5), 12);
    const scale = weights.map((w, i) => live[i]! / w.size / raw[i]!);
    const sparse = scale.filter((_, i) => live[i]! < weights[i]!.size);
    for (const s of sparse) expect(s).toBeCloseTo(sparse[0]!, 1);
    model.dispose();
  });

  it("regrows a graph-made recurrent hidden weight only within its graph, and names unknown weights", async () => {
    const source = "graph g = watts_strogatz(n=8, k=2, p=0.5, seed=1)\nnetwork G { input [4, 2] recurrent rnn(hidden=g) output 3 }";
    const model = await createNetwork(specOf(source), { backend: "cpu", seed: 1 });
    const structure = model.getMask("rnn1.hidden");
    const config: DynamicSparsity = { method: "set", sparsity: 0.9, every: 1, dropFraction: 0.5, stop: 20, blocks: ["rnn1.hidden"] };
    applySparseStart(model, config);
    const batch = batchFor(model, 6);
    await model.fit(batch, { epochs: 2, batchSize: 6, growth: config });
    const mask = model.getMask("rnn1.hidden");
    expect(count(mask)).toBe(Math.round(0.1 * structure.length));
    expect(count(mask)).toBeLessThan(count(structure));
    mask.forEach((m, i) => m === 1 && expect(structure[i]).toBe(1));
    expect(count(model.getMask("rnn1.input"))).toBe(model.getMask("rnn1.input").length); // out of scope
    expect(() => applySparseStart(model, { ...config, blocks: ["rnn1.hiden"] })).toThrow(
      "G: set: unknown weight 'rnn1.hiden'; the weights growth reaches are 'rnn1.input', 'rnn1.hidden', 'recurrent->output'",
    );
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  });
});
