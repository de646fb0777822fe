import { describe, expect, expectTypeOf, it } from "vitest";
import { analyze } from "../../src/index.js";
import { fuse } from "../../src/fuse/index.js";
import type { KernelIR, KernelPlan } from "../../src/fuse/plan.js";
import type { BlockIR, LayerIR, NetworkIR } from "../../src/lower/ir.js";
import type { KernelSpec } from "../../runtime/spec.js";

const full = { kind: "full" } as const;

/** A network IR written by hand: layers by size, blocks as [source, target] in the order given. */
function network(sizes: readonly number[], edges: readonly (readonly [number, number])[]): NetworkIR {
  const layers: LayerIR[] = sizes.map((size, i) => ({
    name: i === 0 ? "input" : i === sizes.length - 1 ? "output" : `dense${i}`,
    origin: i === 0 ? { kind: "input" } : i === sizes.length - 1 ? { kind: "output" } : { kind: "dense", index: i },
    size,
  }));
  const blocks: BlockIR[] = edges.map(([source, target]) => ({ name: `${layers[source]!.name}->${layers[target]!.name}`, source, target, mask: full }));
  return { name: "Hand", inputShape: [sizes[0]!], layers, blocks, activation: "relu", layerNorm: false, pruning: [] };
}

/** Each kernel as "target: block names". */
const shown = (plan: KernelPlan): string[] => plan.kernels.map((k) => `${plan.network.layers[k.target]!.name}: ${k.blocks.map((b) => plan.network.blocks[b]!.name).join(", ")}`);

describe("fuse", () => {
  it("makes one kernel per layer that blocks enter, in target order, and none for the input", () => {
    // Blocks deliberately out of order: by target 3, 1, 2, 3, 3 and sources 2, 0, 1, 0, 1.
    const ir = network(
      [4, 3, 2, 5],
      [
        [2, 3],
        [0, 1],
        [1, 2],
        [0, 3],
        [1, 3],
      ],
    );
    const [plan] = fuse([ir]);
    expect(plan!.kernels).toEqual([
      { target: 1, blocks: [1] },
      { target: 2, blocks: [2] },
      { target: 3, blocks: [3, 4, 0] }, // sources 0, 1, 2: the order its sources are concatenated in
    ]);
    expect(shown(plan!)).toEqual(["dense1: input->dense1", "dense2: dense1->dense2", "output: input->output, dense1->output, dense2->output"]);
  });

  it("hands the network on unchanged, one plan per network in order", () => {
    const a = network([2, 2], [[0, 1]]);
    const b = network(
      [3, 1, 1],
      [
        [0, 1],
        [1, 2],
      ],
    );
    const plans = fuse([a, b]);
    expect(plans.map((p) => p.network)).toEqual([a, b]);
    expect(plans[0]!.network).toBe(a);
    expect(plans.map((p) => p.kernels.length)).toEqual([1, 2]);
    expect(fuse([])).toEqual([]);
  });

  it("fuses a structure's skip connection into the kernel of the depth it enters", () => {
    const { plans, diagnostics } = analyze("graph g = edges { 0 -> 1, 1 -> 2, 0 -> 2, 0 -> 3 }\nnetwork S { input 2 structure g dense 2 output 1 }");
    expect(diagnostics).toEqual([]);
    expect(shown(plans![0]!)).toEqual([
      "g.d0: input->g.d0",
      "g.d1: g.d0->g.d1",
      "g.d2: g.d0->g.d2, g.d1->g.d2",
      "dense1: g.d1->dense1, g.d2->dense1", // sinks 3 (depth 1) and 2 (depth 2)
      "output: dense1->output",
    ]);
  });

  it("orders kernels so that every source is the input or the target of an earlier kernel", () => {
    const { plans } = analyze(
      "graph t = balanced_tree(r=2, h=2)\ngraph w = watts_strogatz(n=12, k=4, p=0.3, seed=2)\nnetwork N { input 3 structure t dense 4 structure w structure t output 2 }",
    );
    const plan = plans![0]!;
    const computed = new Set([0]);
    for (const kernel of plan.kernels) {
      for (const b of kernel.blocks) expect(computed.has(plan.network.blocks[b]!.source)).toBe(true);
      computed.add(kernel.target);
    }
    expect(computed.size).toBe(plan.network.layers.length);
    // Every block in exactly one kernel.
    expect(plan.kernels.flatMap((k) => k.blocks).sort((x, y) => x - y)).toEqual(plan.network.blocks.map((_, i) => i));
  });

  it("uses the runtime's KernelSpec as its kernel type", () => {
    expectTypeOf<KernelIR>().toEqualTypeOf<KernelSpec>();
    expectTypeOf<KernelPlan["kernels"]>().toEqualTypeOf<readonly KernelSpec[]>();
  });
});
