/**
 * Under layer scope, an iterative or gradual schedule brings each layer to its
 * target on its own: a layer's count comes from its own live and total
 * entries, not the whole scope's (which pruned a small layer far past the
 * target, or wholly).
 */
import { describe, expect, it } from "vitest";
import { pruningHooks } from "../../runtime/pruning/schedule.js";
import { prunableWeights, liveOf } from "../../runtime/pruning/weights.js";
import type { Model } from "../../runtime/model.js";
import type { PruningSchedule } from "../../runtime/spec.js";
import { buildModel } from "../support/models.js";

// dense1 has 40 × 30 = 1,200 incoming entries, dense2 30 × 6 = 180, output 6 × 3 = 18.
const SOURCE = "network L { input 40 dense [30, 6] output 3 }";

function layerSparsities(model: Model): Map<string, number> {
  const byLayer = new Map<string, { live: number; total: number }>();
  for (const w of prunableWeights(model)) {
    const c = byLayer.get(w.layer) ?? { live: 0, total: 0 };
    byLayer.set(w.layer, { live: c.live + liveOf(model, w), total: c.total + w.size });
  }
  return new Map([...byLayer].map(([layer, c]) => [layer, 1 - c.live / c.total]));
}

describe("layer-scoped schedules", () => {
  it("iterative: each layer loses its own percent per round and stops at the target", async () => {
    const model = await buildModel(SOURCE, { seed: 1 });
    const schedule: PruningSchedule = { kind: "iterative", percent: 30, every: 1, target: 0.5, scope: "layer" };
    const hooks = pruningHooks(model, [schedule]);
    hooks.trainBegin();
    hooks.epochBegin(1);
    hooks.epochEnd();
    // Round 1: 30% of each layer's own live entries (floor), whatever its size.
    const first = layerSparsities(model);
    expect(first.get("dense1")).toBeCloseTo(Math.floor(0.3 * 1200) / 1200, 10);
    expect(first.get("dense2")).toBeCloseTo(Math.floor(0.3 * 180) / 180, 10);
    expect(first.get("output")).toBeCloseTo(Math.floor(0.3 * 18) / 18, 10);
    for (let e = 2; e <= 5; e++) {
      hooks.epochBegin(e);
      hooks.epochEnd();
    }
    // Capped at the target in every layer: 50% of each, exactly (all totals are even).
    for (const sparsity of layerSparsities(model).values()) expect(sparsity).toBeCloseTo(0.5, 10);
    model.dispose();
  });

  it("gradual: every layer follows the cubic curve itself", async () => {
    const model = await buildModel(SOURCE, { seed: 2 });
    const hooks = pruningHooks(model, [{ kind: "gradual", initial: 0, final: 0.75, start: 1, end: 3, every: 1, scope: "layer" }]);
    hooks.trainBegin();
    hooks.epochBegin(1);
    hooks.batchEnd();
    hooks.batchEnd();
    // Step 2: s = 0.75 + (0 − 0.75)(1 − 1/2)³ = 0.65625; each layer keeps ceil((1 − s) · its total) entries.
    const target = 0.75 - 0.75 * Math.pow(0.5, 3);
    for (const [layer, total] of [
      ["dense1", 1200],
      ["dense2", 180],
      ["output", 18],
    ] as const) {
      expect(layerSparsities(model).get(layer)).toBeCloseTo(1 - Math.ceil((1 - target) * total - 1e-9) / total, 10);
    }
    model.dispose();
  });
});
