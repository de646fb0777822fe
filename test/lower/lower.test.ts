import { describe, expect, it } from "vitest";
import { check } from "../../src/check/index.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { elaborate } from "../../src/elaborate/index.js";
import { lower } from "../../src/lower/index.js";
import type { MaskIR, NetworkIR } from "../../src/lower/ir.js";
import { parse } from "../../src/parse/index.js";
import { layerKind } from "../../runtime/spec.js";

/** The passes before lower, each required to be clean, then lower itself. */
function lowerSource(source: string): { networks: NetworkIR[]; diagnostics: Diagnostic[] } {
  const parsed = parse(source);
  expect(parsed.diagnostics).toEqual([]);
  const checked = check(parsed.program);
  expect(checked.diagnostics).toEqual([]);
  const elaborated = elaborate(checked.program);
  expect(elaborated.diagnostics).toEqual([]);
  return lower(elaborated.program);
}

function lowerOne(source: string): NetworkIR {
  const { networks, diagnostics } = lowerSource(source);
  expect(diagnostics).toEqual([]);
  expect(networks).toHaveLength(1);
  return networks[0]!;
}

/** "name size" per layer. */
const sizes = (network: NetworkIR): string[] => network.layers.map((l) => `${l.name} ${l.size}`);

/** Block name → "full" or its live entries. */
function masks(network: NetworkIR): Record<string, "full" | number[]> {
  return Object.fromEntries(network.blocks.map((b) => [b.name, show(b.mask)]));
}
const show = (mask: MaskIR): "full" | number[] => (mask.kind === "full" ? "full" : Array.from(mask.live));

describe("lower: dense stages", () => {
  const network = lowerOne("network M {\n  input [2, 3]\n  dense [4, 3]\n  output 2\n  activation elu\n}");

  it("flattens the input and makes one layer per dense size, numbered from 1", () => {
    expect(sizes(network)).toEqual(["input 6", "dense1 4", "dense2 3", "output 2"]);
    expect(network.inputShape).toEqual([2, 3]);
    expect(network).toMatchObject({ name: "M", activation: "elu", layerNorm: false, pruning: [] });
  });

  it("records each layer's origin, from which its kind follows", () => {
    expect(network.layers.map((l) => l.origin)).toEqual([{ kind: "input" }, { kind: "dense", index: 1 }, { kind: "dense", index: 2 }, { kind: "output" }]);
    expect(network.layers.map((l) => layerKind(l.origin))).toEqual(["input", "hidden", "hidden", "output"]);
    expect(network.layers.some((l) => l.vertices !== undefined)).toBe(false);
  });

  it("joins consecutive stages with full blocks, ordered by target", () => {
    expect(network.blocks.map((b) => [b.name, b.source, b.target])).toEqual([
      ["input->dense1", 0, 1],
      ["dense1->dense2", 1, 2],
      ["dense2->output", 2, 3],
    ]);
    expect(Object.values(masks(network))).toEqual(["full", "full", "full"]);
  });
});

describe("lower: a structure with a skip connection", () => {
  // 0 and 1 are sources (depth 0); 2 and 4 sit at depth 1, 3 at depth 2.
  // 0 -> 3 skips depth 1; 4 is a sink below the last depth.
  const network = lowerOne("graph g = edges { 0 -> 2, 1 -> 2, 0 -> 3, 2 -> 3, 1 -> 4 }\nnetwork S { input 3 structure g output 2 }");

  it("makes a layer per depth, neurons in ascending vertex order", () => {
    expect(sizes(network)).toEqual(["input 3", "g.d0 2", "g.d1 2", "g.d2 1", "output 2"]);
    expect(network.layers.map((l) => l.vertices)).toEqual([undefined, [0, 1], [2, 4], [3], undefined]);
    expect(network.layers.slice(1, 4).map((l) => l.origin)).toEqual([
      { kind: "structure", graph: "g", use: 1, depth: 0 },
      { kind: "structure", graph: "g", use: 1, depth: 1 },
      { kind: "structure", graph: "g", use: 1, depth: 2 },
    ]);
  });

  it("puts each edge in the block between its ends' depths, the skip in a block of its own", () => {
    expect(masks(network)).toEqual({
      "input->g.d0": "full", // the input feeds the sources
      "g.d0->g.d1": [0, 2, 3], // 0->2 (row 0, col 0), 1->2 (1, 0), 1->4 (1, 1) of 2×2
      "g.d0->g.d2": [0], // the skip 0->3
      "g.d1->g.d2": [0], // 2->3; 4 has no successor
      "g.d1->output": [2, 3], // sink 4 (row 1) to both outputs
      "g.d2->output": "full", // sink 3
    });
    expect(network.blocks.map((b) => `${b.source}->${b.target}`)).toEqual(["0->1", "1->2", "1->3", "2->3", "2->4", "3->4"]);
  });

  it("feeds a dense layer after the structure from every sink, wherever it sits", () => {
    const dense = lowerOne("graph g = edges { 0 -> 2, 1 -> 2, 0 -> 3, 2 -> 3, 1 -> 4 }\nnetwork S { input 3 structure g dense 3 output 2 }");
    expect(masks(dense)).toMatchObject({ "g.d1->dense1": [3, 4, 5], "g.d2->dense1": "full", "dense1->output": "full" });
    expect(dense.layers.map((l) => l.origin.kind)).toEqual(["input", "structure", "structure", "structure", "dense", "output"]);
  });
});

describe("lower: scalable groups", () => {
  // Groups of round(p · 6) neurons: 1, 2, 2, 1.
  const network = lowerOne("graph base = edges { 0 -> 2, 1 -> 3 }\ngraph s = scalable(base, scale=6, proportions=[1, 2, 2, 1])\nnetwork F { input 2 structure s output 1 }");

  it("lays each vertex's group side by side in its depth's layer", () => {
    expect(sizes(network)).toEqual(["input 2", "s.d0 3", "s.d1 3", "output 1"]);
    expect(network.layers.map((l) => l.vertices)).toEqual([undefined, [0, 1, 1], [2, 2, 3], undefined]);
  });

  it("joins every neuron of an edge's source group to every neuron of its target group", () => {
    // 0 -> 2: row 0 to columns 0, 1; 1 -> 3: rows 1, 2 to column 2 (of 3×3).
    expect(masks(network)["s.d0->s.d1"]).toEqual([0, 1, 5, 8]);
  });
});

describe("lower: a graph used twice", () => {
  const source = (policy: string): string => `graph t = balanced_tree(r=2, h=1)\nnetwork T {\n  input 3\n  structure t\n  dense 4\n  structure t\n  output 2\n  ${policy}\n}`;

  it("names the second structure's layers with '#2' and counts the use in their origin", () => {
    const network = lowerOne(source("mask dense()"));
    expect(sizes(network)).toEqual(["input 3", "t.d0 1", "t.d1 2", "dense1 4", "t.d0#2 1", "t.d1#2 2", "output 2"]);
    expect(network.layers.map((l) => l.origin)).toEqual([
      { kind: "input" },
      { kind: "structure", graph: "t", use: 1, depth: 0 },
      { kind: "structure", graph: "t", use: 1, depth: 1 },
      { kind: "dense", index: 1 },
      { kind: "structure", graph: "t", use: 2, depth: 0 },
      { kind: "structure", graph: "t", use: 2, depth: 1 },
      { kind: "output" },
    ]);
  });

  it("selects, by the graph's name, the blocks entering every depth of both uses", () => {
    const network = lowerOne(source("prune one_shot(percent=10, layers=[t])"));
    expect(network.pruning).toEqual([
      {
        kind: "oneShot",
        percent: 10,
        atEpoch: 0,
        saliency: "magnitude",
        scope: "global",
        seed: 0,
        blocks: ["input->t.d0", "t.d0->t.d1", "dense1->t.d0#2", "t.d0#2->t.d1#2"],
      },
    ]);
  });

  it("selects a dense layer or the output by its own name", () => {
    const network = lowerOne(source("mask learnable(keep=0.8, layers=[dense1, output])"));
    expect(network.learnable).toEqual({ blocks: ["t.d1->dense1", "t.d1#2->output"], keep: 0.8, temperature: 1, penalty: 0 });
  });
});

describe("lower: mask policies", () => {
  const source = (policies: string): string => `graph g = edges { 0 -> 1, 0 -> 2 }\nnetwork P {\n  input 2\n  dense 3\n  structure g\n  output 2\n  ${policies}\n}`;

  it("leaves every block as the structure made it without a policy", () => {
    expect(masks(lowerOne(source("")))).toEqual({
      "input->dense1": "full",
      "dense1->g.d0": "full",
      "g.d0->g.d1": "full",
      "g.d1->output": "full",
    });
  });

  it("random(density=0) empties exactly the selected blocks, density=1 keeps them", () => {
    const empty = masks(lowerOne(source("mask random(density=0, seed=1, layers=[dense1, g])")));
    expect(empty).toEqual({ "input->dense1": [], "dense1->g.d0": [], "g.d0->g.d1": [], "g.d1->output": "full" });
    const kept = masks(lowerOne(source("mask random(density=1, seed=1, layers=[dense1])")));
    expect(kept["input->dense1"]).toBe("full");
  });

  it("random(density=0.5) draws once per live entry, the selected blocks in order, from the seed", () => {
    const draw = (seed: number): Record<string, "full" | number[]> => masks(lowerOne(source(`mask random(density=0.5, seed=${seed}, layers=[dense1, output])`)));
    // Pinned: the draws are part of the compiled output (the golden module holds them too).
    expect(draw(3)).toEqual({ "input->dense1": [0, 3, 4], "dense1->g.d0": "full", "g.d0->g.d1": "full", "g.d1->output": [1] });
    expect(draw(3)).toEqual(draw(3));
    expect(draw(2)["input->dense1"]).toEqual([2, 5]);
  });

  it("mask dense() after random() makes the selection full again, and applies in the order written", () => {
    const network = lowerOne(source("mask random(density=0, layers=[dense1, output]) mask dense(layers=[output])"));
    expect(masks(network)).toMatchObject({ "input->dense1": [], "g.d1->output": "full" });
  });

  it("resolves grow's layers into block names, and leaves them out when it covers every block", () => {
    const some = lowerOne(source("grow set(sparsity=0.5, stop=10, layers=[g])"));
    expect(some.growth?.blocks).toEqual(["dense1->g.d0", "g.d0->g.d1"]);
    const all = lowerOne(source("grow set(sparsity=0.5, stop=10)"));
    expect(all.growth).toBeDefined();
    expect(all.growth?.blocks).toBeUndefined();
  });

  it("reports a name that selects no layer, listing the network's layers", () => {
    const { diagnostics, networks } = lowerSource(`graph other = path(2)\n${source("prune one_shot(percent=5, layers=[dense1, other])")}`);
    expect(diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}`)).toEqual(["DS2027@8:36"]);
    expect(diagnostics[0]!.message).toBe("network 'P' has no layer 'other'");
    expect(diagnostics[0]!.hint).toBe("its layers are dense1, g.d0, g.d1, output");
    expect(networks[0]!.pruning).toEqual([]);
  });

  it("never selects the input", () => {
    const { diagnostics } = lowerSource(source("mask dense(layers=[input])"));
    expect(diagnostics.map((d) => d.code)).toEqual(["DS2027"]);
  });
});

describe("lower: warnings", () => {
  it("warns where a structure puts layer norm over a single neuron (DS3002), once per such depth", () => {
    const { diagnostics } = lowerSource("graph t = balanced_tree(r=2, h=1)\nnetwork N {\n  input 4\n  structure t\n  output 2\n  layer_norm true\n}");
    expect(diagnostics.map((d) => `${d.severity} ${d.code}@${d.span.start.line}:${d.span.start.column} ${d.message}`)).toEqual([
      "warning DS3002@4:3 layer norm over depth 0 of 't' is skipped: it has a single neuron",
    ]);
  });
});
