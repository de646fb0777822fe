import { describe, expect, it } from "vitest";
import { liveConnections, networkSpec } from "../../src/emit/spec.js";
import type { KernelPlan } from "../../src/fuse/plan.js";
import { analyze } from "../../src/index.js";
import { decodeIntegers, decodeMask, liveIndices } from "../../runtime/masks/codec.js";

function planOf(source: string): KernelPlan {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics).toEqual([]);
  return plans![0]!;
}

describe("emit: the network spec", () => {
  // 0 -> 2 skips depth 1; 3 is a sink at depth 1.
  const plan = planOf("graph g = edges { 0 -> 1, 1 -> 2, 0 -> 2, 0 -> 3 }\nnetwork S { input [2, 2] dense 3 structure g structure g output 2 activation sigmoid }");
  const spec = networkSpec(plan);

  it("carries the network's settings", () => {
    expect(spec).toMatchObject({ name: "S", inputShape: [2, 2], activation: "sigmoid", layerNorm: false });
  });

  it("gives every layer its origin instead of a kind, and no other field", () => {
    expect(spec.layers.map((l) => [l.name, l.origin, l.size])).toEqual([
      ["input", { kind: "input" }, 4],
      ["dense1", { kind: "dense", index: 1 }, 3],
      ["g.d0", { kind: "structure", graph: "g", use: 1, depth: 0 }, 1],
      ["g.d1", { kind: "structure", graph: "g", use: 1, depth: 1 }, 2],
      ["g.d2", { kind: "structure", graph: "g", use: 1, depth: 2 }, 1],
      ["g.d0#2", { kind: "structure", graph: "g", use: 2, depth: 0 }, 1],
      ["g.d1#2", { kind: "structure", graph: "g", use: 2, depth: 1 }, 2],
      ["g.d2#2", { kind: "structure", graph: "g", use: 2, depth: 2 }, 1],
      ["output", { kind: "output" }, 2],
    ]);
    for (const layer of spec.layers) expect(Object.keys(layer).sort()).toEqual(layer.vertices === undefined ? ["name", "origin", "size"] : ["name", "origin", "size", "vertices"]);
  });

  it("encodes a structure layer's vertex ids, and only a structure layer's", () => {
    expect(spec.layers.map((l) => (l.vertices === undefined ? undefined : decodeIntegers(l.vertices)))).toEqual([
      undefined,
      undefined,
      [0],
      [1, 3],
      [2],
      [0],
      [1, 3],
      [2],
      undefined,
    ]);
  });

  it("encodes each block's mask to decode to the IR's live entries", () => {
    expect(spec.blocks).toHaveLength(plan.network.blocks.length);
    plan.network.blocks.forEach((block, i) => {
      const emitted = spec.blocks[i]!;
      expect([emitted.name, emitted.source, emitted.target]).toEqual([block.name, block.source, block.target]);
      const size = plan.network.layers[block.source]!.size * plan.network.layers[block.target]!.size;
      const live = Array.from(liveIndices(decodeMask(emitted.mask, size)));
      expect(live).toEqual(block.mask.kind === "full" ? Array.from({ length: size }, (_, k) => k) : Array.from(block.mask.live));
    });
    const byName = Object.fromEntries(spec.blocks.map((b) => [b.name, b.mask]));
    expect(byName["g.d0->g.d2"]).toBe("full"); // the skip, 1×1
    expect(byName["g.d1->g.d2"]).not.toBe("full"); // 1 -> 2 only: row 0 of 2×1
    expect(decodeMask(byName["g.d1->g.d2"]!, 2)).toEqual(Uint8Array.from([1, 0]));
  });

  it("copies the plan's kernels", () => {
    expect(spec.kernels).toEqual(plan.kernels);
    expect(spec.kernels.map((k) => k.target)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(spec.kernels[3]).toEqual({ target: 4, blocks: [3, 4] });
  });

  it("leaves out the optional settings a network does not use", () => {
    expect(Object.keys(spec).sort()).toEqual(["activation", "blocks", "inputShape", "kernels", "layerNorm", "layers", "name", "plan"]);
  });

  it("is plain data: JSON gives it back unchanged", () => {
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it("writes an emptied block as the empty mask and carries policies, growth and execution", () => {
    const policies = networkSpec(
      planOf(
        [
          "network P {",
          "  input 2",
          "  dense [3, 3]",
          "  output 1",
          "  execution dense",
          "  mask random(density=0, layers=[dense1])",
          "  mask learnable(keep=0.7, layers=[output])",
          "  prune gradual(final=0.5, start=1, end=9, layers=[dense2])",
          "  grow rigl(sparsity=0.5, stop=20, layers=[dense2])",
          "}",
        ].join("\n"),
      ),
    );
    expect(policies.blocks.map((b) => `${b.name} ${b.mask}`)).toEqual(["input->dense1 empty", "dense1->dense2 full", "dense2->output full"]);
    expect(policies.execution).toBe("dense");
    expect(policies.learnable).toEqual({ blocks: ["dense2->output"], keep: 0.7, temperature: 1, penalty: 0 });
    expect(policies.pruning).toEqual([
      { kind: "gradual", initial: 0, final: 0.5, start: 1, end: 9, every: 1, saliency: "magnitude", scope: "global", seed: 0, blocks: ["dense1->dense2"] },
    ]);
    expect(policies.growth).toMatchObject({ method: "rigl", sparsity: 0.5, stop: 20, blocks: ["dense1->dense2"] });
  });
});

describe("emit: live connections", () => {
  it("counts full blocks whole and sparse blocks by their live entries", () => {
    const plan = planOf("graph g = edges { 0 -> 1, 1 -> 2, 0 -> 2, 0 -> 3 }\nnetwork S { input 4 dense 3 structure g output 2 }");
    // input->dense1 12, dense1->g.d0 3, g.d0->g.d1 2, g.d0->g.d2 1, g.d1->g.d2 1 of 2, g.d1->output 2 of 4, g.d2->output 2.
    expect(liveConnections(plan)).toEqual({ live: 23, total: 26 });
  });
});
