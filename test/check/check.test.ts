import { describe, expect, it } from "vitest";
import { check } from "../../src/check/index.js";
import type { CheckedProgram, GraphSource } from "../../src/check/program.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { parse } from "../../src/parse/index.js";

/** The check pass alone, on source that parses cleanly. */
function checkSource(source: string): { program: CheckedProgram; diagnostics: Diagnostic[] } {
  const parsed = parse(source);
  expect(parsed.diagnostics).toEqual([]);
  return check(parsed.program);
}

/** `CODE@line:col` of each diagnostic, in the order reported. */
const where = (diagnostics: readonly Diagnostic[]): string[] => diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}`);

const sourceOf = (program: CheckedProgram, name: string): GraphSource => program.graphs.find((g) => g.name === name)!.source;

describe("check: names resolve", () => {
  const { program, diagnostics } = checkSource(
    [
      "graph ring = edges { 0 -- 1, 1 -- 2, 2 -- 3 }",
      "graph tree = balanced_tree(2, 1)",
      "graph oriented = orient(ring, bfs, roots=[2])",
      "graph stacked = append(tree, path(n=2))",
      "network N {",
      "  input 4",
      "  structure oriented",
      "  dense 3",
      "  structure tree",
      "  output 2",
      "}",
    ].join("\n"),
  );

  it("accepts the file without a diagnostic and keeps every declaration", () => {
    expect(diagnostics).toEqual([]);
    expect(program.graphs.map((g) => g.name)).toEqual(["ring", "tree", "oriented", "stacked"]);
    expect(program.networks.map((n) => n.name)).toEqual(["N"]);
  });

  it("inlines a graph named as an argument, so later passes never look a name up", () => {
    expect(sourceOf(program, "oriented")).toMatchObject({
      kind: "orient",
      rule: "bfs",
      roots: [2],
      seed: 0,
      graph: {
        kind: "edges",
        directed: false,
        edges: [
          { source: 0, target: 1 },
          { source: 1, target: 2 },
          { source: 2, target: 3 },
        ],
      },
    });
    expect(sourceOf(program, "stacked")).toMatchObject({
      kind: "append",
      bottom: { kind: "generator", generator: "balanced_tree", args: { r: 2, h: 1 } },
      top: { kind: "generator", generator: "path", args: { n: 2 } },
    });
  });

  it("keeps a network's stages in the order written, structures by graph name", () => {
    const stages = program.networks[0]!.stages.map((s) => (s.kind === "dense" ? `dense ${s.size}` : `structure ${s.graph}`));
    expect(stages).toEqual(["structure oriented", "dense 3", "structure tree"]);
  });

  it("reports an unknown graph where it is named, with the closest declared name", () => {
    const result = checkSource("graph tree = path(3)\nnetwork N {\n  input 4\n  structure tre\n  output 2\n}");
    expect(where(result.diagnostics)).toEqual(["DS2003@4:13"]);
    expect(result.diagnostics[0]!.message).toBe("unknown graph 'tre'");
    expect(result.diagnostics[0]!.hint).toBe("did you mean 'tree'?");
    expect(result.program.networks).toEqual([]);
  });

  it("drops a network over a graph with errors without a second message", () => {
    const result = checkSource("graph bad = balanced_tree(r=0, h=2)\nnetwork N { input 4 structure bad output 2 }");
    expect(where(result.diagnostics)).toEqual(["DS2006@1:29"]);
    expect(result.program.graphs).toEqual([]);
    expect(result.program.networks).toEqual([]);
  });

  it("refuses a network where a graph is expected", () => {
    const result = checkSource("network M { input 1 output 1 }\nnetwork N { input 1 structure M output 1 }");
    expect(where(result.diagnostics)).toEqual(["DS2005@2:31"]);
    expect(result.diagnostics[0]!.message).toBe("'structure' expects the name of a graph, but got network 'M'");
  });

  it("refuses a name declared twice, pointing at the first declaration", () => {
    const result = checkSource("graph g = path(2)\n\ngraph g = path(3)");
    expect(where(result.diagnostics)).toEqual(["DS2001@3:7"]);
    expect(result.diagnostics[0]!.hint).toBe("the first declaration is at line 1, column 7");
    expect(result.program.graphs.map((g) => g.source)).toMatchObject([{ kind: "generator", generator: "path", args: { n: 2 } }]);
  });
});

describe("check: arguments", () => {
  it("matches positional arguments in networkx's order and fills defaults", () => {
    const { program, diagnostics } = checkSource(
      "graph w = watts_strogatz(30, 4, 0.25)\ngraph g = grid_2d(rows=2, cols=5)\ngraph n = newman_watts_strogatz(12, k=2, seed=9, p=0.5)",
    );
    expect(diagnostics).toEqual([]);
    expect(sourceOf(program, "w")).toMatchObject({ kind: "generator", generator: "watts_strogatz", args: { n: 30, k: 4, p: 0.25, seed: 0 } });
    expect(sourceOf(program, "g")).toMatchObject({ kind: "generator", generator: "grid_2d", args: { rows: 2, cols: 5, periodic: false } });
    expect(sourceOf(program, "n")).toMatchObject({ kind: "generator", generator: "newman_watts_strogatz", args: { n: 12, k: 2, p: 0.5, seed: 9 } });
  });

  it("reads scalable proportions as explicit weights or a seeded Dirichlet draw", () => {
    const { program } = checkSource("graph a = scalable(path(3), scale=10, proportions=[1, 2, 1])\ngraph b = scalable(path(3), 8, proportions=dirichlet(alpha=0.5, seed=4))");
    expect(sourceOf(program, "a")).toMatchObject({ kind: "scalable", scale: 10, proportions: { kind: "explicit", values: [1, 2, 1] } });
    expect(sourceOf(program, "b")).toMatchObject({ kind: "scalable", scale: 8, proportions: { kind: "dirichlet", alpha: 0.5, seed: 4 } });
  });

  it("turns a network body into settings with their defaults", () => {
    const { program, diagnostics } = checkSource(
      [
        "graph t = balanced_tree(r=2, h=2)",
        "network N {",
        "  input [1, 2, 3]",
        "  dense [5, 4]",
        "  structure t",
        "  output 7",
        "  activation tanh",
        "  execution sparse",
        "  mask random(density=0.5, seed=3, layers=[dense1, t])",
        "  prune one_shot(percent=10)",
        "  grow rigl(sparsity=0.9, stop=100)",
        "}",
      ].join("\n"),
    );
    expect(diagnostics).toEqual([]);
    const network = program.networks[0]!;
    expect(network).toMatchObject({ name: "N", inputShape: [1, 2, 3], outputSize: 7, activation: "tanh", layerNorm: false, execution: "sparse" });
    expect(network.stages.map((s) => s.kind)).toEqual(["dense", "dense", "structure"]);
    expect(network.masks).toMatchObject([{ kind: "random", density: 0.5, seed: 3, layers: { names: ["dense1", "t"] } }]);
    // one_shot without an epoch or a step prunes at creation.
    expect(network.pruning).toMatchObject([{ layers: { names: [] }, schedule: { kind: "oneShot", percent: 10, atEpoch: 0, saliency: "magnitude", scope: "global", seed: 0 } }]);
    expect(network.growth?.config).toEqual({
      method: "rigl",
      sparsity: 0.9,
      distribution: "uniform",
      every: 100,
      dropFraction: 0.3,
      decay: "cosine",
      stop: 100,
      regrow: "zero",
      seed: 0,
    });
  });

  it("gives SET its random regrowth by default and reads iterative rewinding", () => {
    const { program } = checkSource("network N { input 4 dense 3 output 2 grow set(sparsity=0.5, stop=10) prune iterative(percent=20, target=0.8, rewind=3, start=2) }");
    expect(program.networks[0]!.growth?.config.regrow).toBe("random");
    expect(program.networks[0]!.pruning[0]!.schedule).toEqual({
      kind: "iterative",
      percent: 20,
      every: 1,
      target: 0.8,
      rewind: { epoch: 3 },
      start: 2,
      saliency: "magnitude",
      scope: "global",
      seed: 0,
    });
  });

  it.each([
    // [source, code@line:col, message]
    ["graph t = balanced_tree(r=2.5, h=3)", "DS2005@1:27", "'r' expects an integer, but got 2.5"],
    ["graph w = watts_strogatz(n=10, k=4, p=1.5)", "DS2006@1:39", "'p' must be between 0 and 1, but is 1.5"],
    ["graph g = grid_2d(rows=3)", "DS2007@1:11", "'grid_2d' is missing the argument 'cols'"],
    ["graph g = balanced_tree(2, 3, 4)", "DS2010@1:31", "'balanced_tree' takes at most 2 arguments, but 3 were given"],
    ["network N { input 4 output 2 mask random(density=1.5) }", "DS2006@1:50", "'density' must be between 0 and 1, but is 1.5"],
    [
      "network N { input 4 output 2 prune one_shot(percent=10, epoch=2, step=3) }",
      "DS2006@1:36",
      "'one_shot' must be given an epoch or a step, not both, but is epoch=2 and step=3",
    ],
    ["network N {\n  input 4\n  output 2\n  activation swish\n}", "DS2017@4:14", "unknown activation 'swish'"],
  ])("%s → %s", (source, at, message) => {
    const { diagnostics } = checkSource(source);
    expect(where(diagnostics)).toEqual([at]);
    expect(diagnostics[0]!.message).toBe(message);
    expect(diagnostics[0]!.severity).toBe("error");
  });

  it("suggests the closest argument name and spells out the call", () => {
    const { diagnostics } = checkSource("graph g = grid_2d(rows=3, colums=4)");
    expect(diagnostics.map((d) => [`${d.code}@${d.span.start.line}:${d.span.start.column}`, d.hint])).toEqual([
      ["DS2008@1:27", "did you mean 'cols'?"],
      ["DS2007@1:11", "write grid_2d(rows=…, cols=…, periodic=…)"],
    ]);
  });

  it("reports every independent error of a network in one run, and drops the network", () => {
    const { program, diagnostics } = checkSource(["network N {", "  input 0", "  output 2", "  execution spars", "  colour red", "}"].join("\n"));
    expect(where(diagnostics)).toEqual(["DS2006@2:9", "DS2005@4:13", "DS2004@5:3"]);
    expect(diagnostics[1]!.hint).toBe("did you mean 'sparse'?");
    expect(program.networks).toEqual([]);
  });
});
