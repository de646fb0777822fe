/** diffPrograms on hand-made pairs whose answers are known, and on changes that change nothing. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze, describeProgram, diffPrograms, formatProgramDiff, isEmptyDiff, programVersion, type ProgramDiff, type ProgramVersion } from "../../src/index.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

function version(source: string, fileName?: string): ProgramVersion {
  const { version, diagnostics } = programVersion(source, fileName === undefined ? {} : { fileName });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return version!;
}

const diff = (a: string, b: string, limit?: number): ProgramDiff => diffPrograms(version(a), version(b), limit === undefined ? {} : { limit });

const NET = (body: string) => `network M {\n  input 4\n  ${body}\n  output 2\n}\n`;

describe("diffPrograms", () => {
  it("lists exactly the edge added to an edge list, and what it does to the network", () => {
    const before = "graph g = edges { 0 -> 1, 1 -> 2 }\n" + NET("structure g");
    const after = "graph g = edges { 0 -> 1, 1 -> 2, 0 -> 2 }\n" + NET("structure g");
    const { graphs, networks } = diff(before, after);
    expect(graphs.changed).toHaveLength(1);
    const g = graphs.changed[0]!;
    expect(g.arguments).toEqual([{ at: ["edges"], argument: "edges", before: "2 edges", after: "3 edges" }]);
    expect(g.edges).toEqual({ before: 2, after: 3, added: { count: 1, items: [[0, 2]] }, removed: { count: 0, items: [] } });
    expect(g.vertices.added.count + g.vertices.removed.count).toBe(0);
    // 0 -> 2 skips a depth: one new block g.d0 -> g.d2 of one connection.
    expect(networks.changed[0]!.blocks.items).toEqual([{ name: "g.d0->g.d2", before: null, after: { live: 1, total: 1 } }]);
    expect(networks.changed[0]!.totals.liveConnections).toEqual({ before: 4 + 2 + 2, after: 4 + 2 + 1 + 2 });
  });

  it("gives a resized dense layer's sizes and its blocks' connections before and after", () => {
    const { networks, graphs } = diff(NET("dense 8"), NET("dense 6"));
    expect(graphs.changed).toEqual([]);
    const m = networks.changed[0]!;
    expect(m.layers).toEqual([{ name: "dense1", before: 8, after: 6 }]);
    expect(m.settings).toEqual([]);
    expect(m.blocks).toEqual({
      count: 2,
      items: [
        { name: "input->dense1", before: { live: 32, total: 32 }, after: { live: 24, total: 24 } },
        { name: "dense1->output", before: { live: 16, total: 16 }, after: { live: 12, total: 12 } },
      ],
    });
    expect(m.totals).toEqual({ blocks: { before: 2, after: 2 }, liveConnections: { before: 48, after: 36 }, connections: { before: 48, after: 36 } });
    expect(formatProgramDiff(diffPrograms(version(NET("dense 8")), version(NET("dense 6"))))).toContain("  layer dense1: 8 → 6 neurons");
  });

  it("for examples/small_world.ds with another seed, lists the symmetric difference of the two graphs' edge sets", () => {
    const source = readFileSync(join(EXAMPLES, "small_world.ds"), "utf8");
    const changed = source.replace("p=0.5, seed=42)", "p=0.5, seed=43)");
    expect(changed).not.toBe(source);
    const edgeSet = (text: string) => {
      const g = analyze(text).program!.graphs.get("smallWorld")!.graph;
      return new Set(g.mapEdges((_e, _a, s, t) => `${s} -> ${t}`));
    };
    const a = edgeSet(source);
    const b = edgeSet(changed);
    const added = [...b].filter((e) => !a.has(e));
    const removed = [...a].filter((e) => !b.has(e));
    expect(added.length).toBeGreaterThan(0);

    const result = diff(source, changed, 1000).graphs.changed[0]!;
    expect(result.arguments).toEqual([{ at: ["scalable", "orient", "watts_strogatz"], argument: "seed", before: "42", after: "43" }]);
    expect(result.edges.added.count + result.edges.removed.count).toBe(added.length + removed.length);
    expect(new Set(result.edges.added.items.map(([s, t]) => `${s} -> ${t}`))).toEqual(new Set(added));
    expect(new Set(result.edges.removed.items.map(([s, t]) => `${s} -> ${t}`))).toEqual(new Set(removed));

    // The text lists 20 of each and says how many more.
    const text = formatProgramDiff(diff(source, changed));
    expect(text).toContain("  scalable › orient › watts_strogatz: seed 42 → 43");
    expect(text).toContain(`  edges ${a.size} → ${b.size}: ${added.length} added, ${removed.length} removed`);
    expect(text.filter((line) => /^ {4}[+-] \d+ -> \d+$/.test(line))).toHaveLength(40);
    expect(text).toContain(`    … and ${added.length - 20} more`);
  });

  it("names a changed activation, mask and schedule as settings", () => {
    const before = NET("dense 8\n  mask random(density=0.5, seed=3)");
    const after = NET("dense 8\n  activation tanh\n  mask random(density=0.5, seed=4)\n  prune one_shot(percent=10, layers=[dense1])");
    const m = diff(before, after).networks.changed[0]!;
    expect(m.settings).toEqual([
      { setting: "activation", before: "relu", after: "tanh" },
      { setting: "mask 1", before: "random(density=0.5, seed=3)", after: "random(density=0.5, seed=4)" },
      { setting: "prune 1", before: null, after: "oneShot(percent=10, atEpoch=0, saliency=magnitude, scope=global, seed=0, layers=[dense1])" },
    ]);
    expect(m.layers).toEqual([]);
  });

  it("lists networks and graphs added and removed", () => {
    const before = "graph t = balanced_tree(2, 2)\n" + NET("dense 8");
    const after = NET("dense 8") + "network N {\n  input 3\n  dense 5\n  output 1\n}\n";
    const { networks, graphs } = diff(before, after);
    expect(networks.added).toEqual([{ name: "N", layers: 3, blocks: 2, liveConnections: 15 + 5 }]);
    expect(networks.removed).toEqual([]);
    expect(networks.changed).toEqual([]);
    expect(graphs).toEqual({ added: [], removed: ["t"], changed: [] });
  });

  it("finds nothing when only whitespace, comments and the order of edges change", () => {
    const edges = diff("graph g = edges { 0 -> 1, 1 -> 2 }\n" + NET("structure g"), "/* moved */ graph g = edges {\n 1 -> 2,\n 0 -> 1 }\n" + NET("structure   g   # the same"));
    expect(isEmptyDiff(edges)).toBe(true);
    expect(formatProgramDiff(edges)).toEqual(["no structural changes"]);
  });

  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith(".ds")))("finds nothing between %s and a copy with other whitespace and comments", (name) => {
    const path = join(EXAMPLES, name);
    const source = readFileSync(path, "utf8");
    const reformatted = `/* a comment\n   over lines */\n\n${source
      .split("\n")
      .map((line) => `  ${line.replace(/, /g, " ,  ")}   // remark`)
      .join("\n\n")}\n# the end\n`;
    const result = diffPrograms(version(source, path), version(reformatted, path));
    expect(result).toEqual({
      format: "dsc-diff",
      version: 1,
      kind: "programs",
      graphs: { added: [], removed: [], changed: [] },
      networks: { added: [], removed: [], changed: [] },
    });
  });
});

describe("describeProgram (dsc diff --textconv)", () => {
  it("puts one fact a line, each naming its graph or network, so a line diff is a structural one", () => {
    const lines = describeProgram(version("graph g = edges { 1 -> 2, 0 -> 1 }\n" + NET("structure g\n  activation tanh")));
    expect(lines).toEqual([
      "graph g = edges(directed=true, edges=2 edges)",
      "graph g layer sizes 1 1 1",
      "graph g edge 0 -> 1",
      "graph g edge 1 -> 2",
      "network M input [4]",
      "network M activation tanh",
      "network M layer_norm false",
      "network M execution auto",
      "network M layer input 4 neurons",
      "network M layer g.d0 1 neurons",
      "network M layer g.d1 1 neurons",
      "network M layer g.d2 1 neurons",
      "network M layer output 2 neurons",
      "network M block input->g.d0 4 of 4 live",
      "network M block g.d0->g.d1 1 of 1 live",
      "network M block g.d1->g.d2 1 of 1 live",
      "network M block g.d2->output 2 of 2 live",
    ]);
  });
});
