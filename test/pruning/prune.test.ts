import { describe, expect, it } from "vitest";
import { applyMask, computeSaliency, liveNeurons, prune, pruneBlock, pruneNeurons, recomputeMask, tf, type Model } from "../../runtime/index.js";
import { createRandom } from "../../runtime/random.js";
import { buildModel } from "../support/models.js";

const mlp = "network M { input 6 dense [5, 4] output 3 }";

/** Weights drawn from a small set of values, so ties are common. */
function tiedWeights(model: Model, seed: number): void {
  const random = createRandom(seed);
  for (const b of model.blocks)
    model.setWeights(
      b.name,
      Array.from({ length: b.sourceSize * b.targetSize }, () => (random.int(7) - 3) / 4),
    );
}

/** Brute force: every live (block, index), sorted by |w|, then block order, then index. */
function bruteForceOrder(model: Model): string[] {
  const all: { key: string; s: number; b: number; i: number }[] = [];
  model.blocks.forEach((block, b) => {
    const mask = model.getMask(block.name);
    model.getWeights(block.name).forEach((w, i) => {
      if (mask[i] === 1) all.push({ key: `${block.name}#${i}`, s: Math.abs(w), b, i });
    });
  });
  return all.sort((x, y) => x.s - y.s || x.b - y.b || x.i - y.i).map((c) => c.key);
}

function prunedKeys(model: Model, before: Map<string, Uint8Array>): string[] {
  const keys: string[] = [];
  for (const block of model.blocks) {
    const now = model.getMask(block.name);
    before.get(block.name)!.forEach((m, i) => {
      if (m === 1 && now[i] === 0) keys.push(`${block.name}#${i}`);
    });
  }
  return keys.sort();
}

const masksOf = (model: Model): Map<string, Uint8Array> => new Map(model.blocks.map((b) => [b.name, model.getMask(b.name)]));

describe("pruning by saliency", () => {
  it("global magnitude pruning by percentage removes exactly what a brute-force sort says, ties by position", async () => {
    const model = await buildModel(mlp, { seed: 1 });
    tiedWeights(model, 2);
    model.setMask(
      "input->dense1",
      model.getMask("input->dense1").map((_, i) => (i % 7 === 0 ? 0 : 1)),
    );
    const live = model.liveConnections();
    const expected = bruteForceOrder(model)
      .slice(0, Math.floor(0.3 * live))
      .sort();
    const before = masksOf(model);
    const result = prune(model, { amount: { percent: 30 } });
    expect(prunedKeys(model, before)).toEqual(expected);
    expect(result.pruned).toBe(Math.floor(0.3 * live));
    expect(result.live).toBe(live - result.pruned);
  });

  it("counts are exact, and already pruned connections are not counted again", async () => {
    const model = await buildModel(mlp, { seed: 3 });
    const total = model.liveConnections();
    expect(prune(model, { amount: { count: 17 } }).live).toBe(total - 17);
    expect(prune(model, { amount: { count: 17 } }).live).toBe(total - 34);
    expect(prune(model, { amount: { percent: 50 } }).pruned).toBe(Math.floor((total - 34) / 2));
  });

  it("the bucket strategy prunes the lowest saliencies whose sum stays within the budget, and no more", async () => {
    const model = await buildModel(mlp, { seed: 4 });
    const order = bruteForceOrder(model);
    const magnitude = (key: string): number => {
      const [block, i] = key.split("#");
      return Math.abs(model.getWeights(block!)[Number(i)]!);
    };
    const budget = 0.8;
    let sum = 0;
    let n = 0;
    while (n < order.length && sum + magnitude(order[n]!) <= budget) sum += magnitude(order[n++]!);
    const before = masksOf(model);
    prune(model, { amount: { budget } });
    const pruned = prunedKeys(model, before);
    expect(pruned).toEqual(order.slice(0, n).sort());
    expect(pruned.reduce((s, k) => s + magnitude(k), 0)).toBeLessThanOrEqual(budget);
  });

  it("layer-wise pruning leaves each layer at its target", async () => {
    const model = await buildModel(mlp, { seed: 5 });
    prune(model, { amount: { percent: 40 }, scope: "layer" });
    for (const block of model.blocks) {
      const size = block.sourceSize * block.targetSize;
      expect(model.liveConnections(block.name)).toBe(size - Math.floor(0.4 * size));
    }
  });

  it("refuses a user saliency of the wrong shape, naming the block", async () => {
    const model = await buildModel(mlp);
    const saliency = Object.fromEntries(model.blocks.map((b) => [b.name, new Float32Array(b.sourceSize * b.targetSize)]));
    saliency["dense1->dense2"] = new Float32Array(3);
    expect(() => prune(model, { saliency, amount: { count: 1 } })).toThrow("M.prune: the saliency of block 'dense1->dense2' has 3 values; expected 20 ([5, 4], row-major)");
  });

  it("prunes by a user saliency: the lowest values go", async () => {
    const model = await buildModel(mlp);
    const saliency = Object.fromEntries(
      model.blocks.map((b) => [b.name, Array.from({ length: b.sourceSize * b.targetSize }, (_, i) => (b.name === "dense2->output" ? i : 100 + i))]),
    );
    prune(model, { saliency, amount: { count: 3 } });
    expect(Array.from(model.getMask("dense2->output").slice(0, 4))).toEqual([0, 0, 0, 1]);
  });
});

describe("saliencies", () => {
  it("taylor is |w · ∂L/∂w| and obd ½ (∂L/∂w)² w² on one batch, zero where masked", async () => {
    const model = await buildModel("network T { input 3 output 2 }", { seed: 2 });
    model.setMask("input->output", [1, 0, 1, 1, 1, 0]);
    const data = { x: tf.tensor2d([0.5, -1, 2], [1, 3]), y: tf.tensor1d([1], "int32") };
    const w = model.getWeights("input->output");
    const logits = model.predict(data.x).dataSync();
    const p = Array.from(logits, Math.exp);
    const z = p[0]! + p[1]!;
    // ∂L/∂w[r][c] = x[r] · (softmax[c] − onehot[c]) for live entries.
    const g = [0, 1, 2].flatMap((r) => [0, 1].map((c) => (model.getMask("input->output")[r * 2 + c] ? [0.5, -1, 2][r]! * (p[c]! / z - (c === 1 ? 1 : 0)) : 0)));
    const taylor = computeSaliency(model, "taylor", { data }).get("input->output")!;
    const obd = computeSaliency(model, "obd", { data }).get("input->output")!;
    g.forEach((gi, i) => {
      expect(taylor[i]).toBeCloseTo(Math.abs(w[i]! * gi), 5);
      expect(obd[i]).toBeCloseTo(0.5 * gi * gi * w[i]! * w[i]!, 5);
    });
    expect(taylor[1]).toBe(0);
  });

  it("synflow on a linear chain is |w| times the product of the other weights on each path", async () => {
    const model = await buildModel("network S { input 1 dense 2 output 1 }");
    model.setWeights("input->dense1", [2, -3]);
    model.setWeights("dense1->output", [5, 7]);
    const s = computeSaliency(model, "synflow");
    expect(Array.from(s.get("input->dense1")!)).toEqual([2 * 5, 3 * 7]);
    expect(Array.from(s.get("dense1->output")!)).toEqual([5 * 2, 7 * 3]);
  });

  it("random is seeded; snip sums to one; normalised magnitude divides by the block's standard deviation", async () => {
    const model = await buildModel(mlp, { seed: 6 });
    expect(computeSaliency(model, "random", { seed: 3 })).toEqual(computeSaliency(model, "random", { seed: 3 }));
    expect(computeSaliency(model, "random", { seed: 3 })).not.toEqual(computeSaliency(model, "random", { seed: 4 }));
    const data = { x: tf.randomUniform([8, 6], -1, 1, "float32", 1), y: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32") };
    const snip = computeSaliency(model, "snip", { data });
    expect([...snip.values()].reduce((sum, v) => sum + v.reduce((a, b) => a + b, 0), 0)).toBeCloseTo(1, 6);
    const w = Array.from(model.getWeights("dense1->dense2"));
    const mean = w.reduce((a, b) => a + b) / w.length;
    const sigma = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(computeSaliency(model, "normalizedMagnitude").get("dense1->dense2")![3]).toBeCloseTo(Math.abs(w[3]!) / sigma, 6);
  });
});

describe("masks at orders 1 and 2, applyMask and recomputeMask", () => {
  it("prunes whole neurons (in and out) and whole blocks", async () => {
    const model = await buildModel(mlp);
    pruneNeurons(model, "dense1", [1, 3]);
    expect(liveNeurons(model, "dense1")).toEqual([0, 2, 4]);
    expect(model.liveConnections("input->dense1")).toBe(6 * 3);
    expect(model.liveConnections("dense1->dense2")).toBe(3 * 4);
    pruneBlock(model, "dense2->output");
    expect(model.liveConnections("dense2->output")).toBe(0);
    expect(() => pruneNeurons(model, "dense1", [5])).toThrow("layer 'dense1' has neurons 0 … 4, not 5");
  });

  it("applyMask zeroes stored weights; recomputeMask prunes |w| ≤ θ and never revives", async () => {
    const model = await buildModel(mlp, { seed: 7 });
    model.setMask(
      "input->dense1",
      model.getMask("input->dense1").map((_, i) => (i < 10 ? 0 : 1)),
    );
    applyMask(model);
    model.setMask("input->dense1", new Array(30).fill(1));
    expect(Array.from(model.getWeights("input->dense1").slice(0, 10))).toEqual(new Array(10).fill(0));
    model.setMask(
      "input->dense1",
      model.getMask("input->dense1").map((_, i) => (i < 10 ? 0 : 1)),
    );
    const theta = 0.3;
    const expected = model.blocks.reduce((n, b) => n + Array.from(model.getWeights(b.name)).filter((w, i) => model.getMask(b.name)[i] === 1 && Math.abs(w) <= theta).length, 0);
    const result = recomputeMask(model, theta);
    expect(result.pruned).toBe(expected);
    for (const b of model.blocks) {
      model.getWeights(b.name).forEach((w, i) => {
        if (model.getMask(b.name)[i] === 1) expect(Math.abs(w)).toBeGreaterThan(theta);
      });
    }
  });

  it("pruned weights stay zero while training continues, with Adam and with momentum", async () => {
    for (const optimizer of ["adam", "sgd"] as const) {
      const model = await buildModel(mlp, { seed: 8 });
      prune(model, { amount: { percent: 60 } });
      const masks = masksOf(model);
      const x = tf.randomUniform([64, 6], -1, 1, "float32", 2);
      const y = tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 3),
        "int32",
      );
      await model.fit({ x, y }, { epochs: 4, batchSize: 8, optimizer });
      for (const b of model.blocks) {
        expect(model.getMask(b.name)).toEqual(masks.get(b.name));
        model.getWeights(b.name).forEach((w, i) => {
          if (masks.get(b.name)![i] === 0) expect(w).toBe(0);
        });
      }
    }
  });
});

describe("selection", async () => {
  const { kthValue, lowest } = await import("../../runtime/pruning/select.js");
  it("finds the k-th smallest value like a sort does, with many ties and wide ranges", () => {
    const random = createRandom(9);
    for (const spread of [3, 1000, 1e9]) {
      const values = Float64Array.from({ length: 5000 }, () => Math.floor(random.next() * spread) / 7);
      const sorted = Float64Array.from(values).sort();
      for (const k of [0, 1, 2499, 4998, 4999]) expect(kthValue(values, k)).toBe(sorted[k]);
    }
  });

  it("returns the lowest count indices, ties by position, ascending", () => {
    expect(Array.from(lowest(Float64Array.from([3, 1, 2, 1, 1, 0]), 3))).toEqual([1, 3, 5]);
    expect(Array.from(lowest(Float64Array.from([5, 5, 5]), 2))).toEqual([0, 1]);
  });
});
