/**
 * prune() by magnitude on the weights and masks where the model stores them
 * (pruning/magnitudes.ts): the same entries as the old gather-then-select on
 * copies, on the native passes and with DEEPSTRUCT_NATIVE=0, on the CPU and
 * WASM backends, for dense blocks (in place) and for what is copied instead
 * (blocks limited to a structure, convs, learned masks); no copy of a dense
 * block in or out; and the next forward pass computes with the new masks.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { prune, type Model, type PruneOptions } from "../../runtime/index.js";
import { nativeStatus, resetNativeStatus } from "../../runtime/kernels/native/load.js";
import { createRandom } from "../../runtime/random.js";
import { storedBlockOf } from "../../runtime/pruning/in-place.js";
import { rankingGroups } from "../../runtime/pruning/prune.js";
import { JS_PASSES } from "../../runtime/pruning/select-passes.js";
import { prunableWeights, readWeights, writeWeights } from "../../runtime/pruning/weights.js";
import { buildModel } from "../support/models.js";
import { referencePrune } from "./reference-select.js";

const SOURCES = {
  dense: "network P { input 12 dense [9, 7] output 3 }",
  structured: "graph g = watts_strogatz(n=30, k=4, p=0.5, seed=2)\nnetwork W { input 5 dense 7 structure g output 3 }",
  conv: "network C { input [1, 8, 8] features [conv(4, kernel=3), max_pool(2)] dense 5 output 3 }",
  learned: "network H { input 8 dense 3 output 2\n  mask learnable(keep=0.6, layers=[dense1]) }",
};

/** Every prunable weight from 5 levels of both signs (ties everywhere), a third of its live entries switched off, from the seed. */
function prepare(model: Model, seed: number): void {
  const random = createRandom(seed);
  for (const weight of prunableWeights(model)) {
    writeWeights(
      model,
      weight,
      Float32Array.from({ length: weight.size }, () => (random.int(5) - 2) / 8),
    );
    model.setMask(
      weight.name,
      model.getMask(weight.name).map((m) => (random.next() < 0.33 ? 0 : m)),
    );
  }
}

/** The masks the old pruning left: per ranking group, its live entries gathered in order and the lowest |w| switched off. */
function expectedMasks(model: Model, options: PruneOptions & { amount: { percent: number } | { count: number } }): Map<string, number[]> {
  const expected = new Map<string, number[]>();
  for (const group of rankingGroups(prunableWeights(model), options.scope ?? "global")) {
    const masks = group.map((w) => model.getMask(w.name));
    const live = masks.reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0);
    const count = "count" in options.amount ? options.amount.count : Math.floor((options.amount.percent / 100) * live);
    const after = referencePrune(
      masks,
      group.map((w) => Array.from(readWeights(model, w), Math.abs)),
      count,
    );
    group.forEach((w, k) => expected.set(w.name, Array.from(after[k]!)));
  }
  return expected;
}

const masksOf = (model: Model): Map<string, number[]> => new Map(prunableWeights(model).map((w) => [w.name, Array.from(model.getMask(w.name))]));

const AMOUNTS: (PruneOptions & { amount: { percent: number } | { count: number } })[] = [
  { amount: { percent: 10 } },
  { amount: { percent: 50 } },
  { amount: { percent: 90 } },
  { amount: { count: 17 } },
  { amount: { count: 100_000 } },
  { amount: { percent: 40 }, scope: "layer" },
];

const saved = process.env.DEEPSTRUCT_NATIVE;
afterEach(async () => {
  if (saved === undefined) delete process.env.DEEPSTRUCT_NATIVE;
  else process.env.DEEPSTRUCT_NATIVE = saved;
  resetNativeStatus();
  vi.restoreAllMocks();
  await useBackend("cpu");
});

const built = nativeStatus().available;

describe.each([
  ["the native passes", undefined],
  ["DEEPSTRUCT_NATIVE=0", "0"],
] as const)("prune() by magnitude on %s", (_, native) => {
  const useNative = (): void => {
    if (native === undefined) delete process.env.DEEPSTRUCT_NATIVE;
    else process.env.DEEPSTRUCT_NATIVE = native;
    resetNativeStatus();
  };

  it.skipIf(native === undefined && !built).each(["cpu", "wasm"] as const)("switches off the old pruning's entries on %s, in place or on copies", async (backend) => {
    await useBackend(backend);
    useNative();
    const fallback = vi.spyOn(JS_PASSES, "histogramHigh");
    let inPlace = 0;
    let copied = 0;
    for (const [kind, source] of Object.entries(SOURCES)) {
      const model = await buildModel(source, { backend, seed: 0 });
      for (const w of prunableWeights(model)) storedBlockOf(model, w.name) === undefined ? copied++ : inPlace++;
      for (const [seed, options] of AMOUNTS.entries()) {
        prepare(model, seed);
        const expected = expectedMasks(model, options);
        const before = model.liveConnections();
        const result = prune(model, options);
        expect(masksOf(model), `${kind} ${JSON.stringify(options)}`).toEqual(expected);
        expect(result.live).toBe(model.liveConnections());
        expect(result.pruned).toBe(before - result.live);
      }
      model.dispose();
    }
    // Both ways of reaching a weight were taken, and the passes were the ones the setting asks for.
    expect(inPlace).toBeGreaterThan(0);
    expect(copied).toBeGreaterThan(0);
    expect(fallback.mock.calls.length > 0).toBe(native === "0");
  });
});

describe("prune() on a dense network", () => {
  it.each(["cpu", "wasm"] as const)("on %s, reads and writes no copy of a block, and the next forward pass computes with the new masks", async (backend) => {
    await useBackend(backend);
    const model = await buildModel(SOURCES.dense, { backend, seed: 3 });
    const x = tf.randomUniform([4, 12], -1, 1, "float32", 7);
    tf.dispose(model.predict(x)); // a binding made before pruning, which pruning must replace
    const copies: MockInstance[] = [vi.spyOn(model, "getWeights"), vi.spyOn(model, "getMask"), vi.spyOn(model, "setMask")];
    // On WASM the weights are read in the heap; dataSync would copy them out (on the CPU backend it hands out the backend's own array).
    if (backend === "wasm") copies.push(vi.spyOn(tf.Tensor.prototype, "dataSync"));
    prune(model, { amount: { percent: 80 } });
    for (const copy of copies) expect(copy).not.toHaveBeenCalled();
    vi.restoreAllMocks();

    // The same weights and masks set through the public API on a fresh model: the same outputs.
    const fresh = await buildModel(SOURCES.dense, { backend, seed: 3 });
    for (const block of model.blocks) fresh.setMask(block.name, model.getMask(block.name));
    const [pruned, reference] = [model.predict(x), fresh.predict(x)];
    expect(Array.from(pruned.dataSync())).toEqual(Array.from(reference.dataSync()));
    expect(model.liveConnections()).toBe(Math.ceil(0.2 * model.totalConnections()));
    tf.dispose([x, pruned, reference]);
    model.dispose();
    fresh.dispose();
  });

  it("refuses a NaN weight by name instead of ranking it", async () => {
    const model = await buildModel(SOURCES.dense, { backend: "cpu", seed: 1 });
    const kernel = model.parameters.find((p) => p.name === "dense2.weight")!.variable;
    const values = Float32Array.from(kernel.dataSync());
    values[5] = Number.NaN;
    kernel.assign(tf.tensor(values, kernel.shape));
    expect(() => prune(model, { amount: { percent: 50 } })).toThrow(/^P\.prune: weight 'dense1->dense2' is NaN at entry 5; magnitude pruning cannot rank it/);
    model.dispose();
  });
});
