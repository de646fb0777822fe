import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UndirectedGraph } from "graphology";
import { write as writeGexf } from "graphology-gexf";
import { describe, expect, it } from "vitest";
import { analyze, writeGraphml, type LayeredGraph } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "dsc-graph-files-"));
const edges = (g: LayeredGraph): string[] => g.graph.mapEdges((_e, _a, s, t) => `${s}->${t}`).sort();

function load(fileCall: string, name = "g"): LayeredGraph {
  const result = analyze(`graph ${name} = ${fileCall}`, { fileName: join(dir, "net.ds") });
  const graph = result.program?.graphs.get(name);
  if (!graph) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return graph;
}

describe("graph files", () => {
  it("GraphML round-trips: write, read with file(...), the same vertices, edges, layers", () => {
    const original = load("watts_strogatz(n=40, k=4, p=0.5, seed=9)", "sw");
    writeFileSync(join(dir, "sw.graphml"), writeGraphml(original));
    const read = load('file("sw.graphml")');
    expect(edges(read)).toEqual(edges(original));
    expect(read.layers).toEqual(original.layers);
    expect(writeGraphml({ ...read, name: "sw" })).toBe(writeGraphml(original));
  });

  it("reads GEXF written by graphology, undirected edges oriented low to high", () => {
    const g = new UndirectedGraph();
    for (const [s, t] of [
      ["0", "1"],
      ["2", "1"],
      ["3", "0"],
    ] as const)
      g.mergeEdge(s, t);
    writeFileSync(join(dir, "g.gexf"), writeGexf(g));
    expect(edges(load('file("g.gexf")'))).toEqual(["0->1", "0->3", "1->2"]);
  });

  it("numbers non-integer node names in order of first mention", () => {
    writeFileSync(
      join(dir, "names.json"),
      JSON.stringify({
        directed: true,
        edges: [
          ["in", "mid"],
          ["mid", "out"],
          ["in", "out"],
        ],
      }),
    );
    const g = load('file("names.json")');
    expect(edges(g)).toEqual(["0->1", "0->2", "1->2"]);
    expect(g.layers).toEqual([[0], [1], [2]]);
  });

  it("keeps integer node ids, and a directed file's directions", () => {
    writeFileSync(
      join(dir, "ids.json"),
      JSON.stringify({
        directed: true,
        nodes: [10, 20, 30],
        edges: [
          [30, 10],
          [10, 20],
        ],
      }),
    );
    expect(edges(load('file("ids.json")'))).toEqual(["10->20", "30->10"]);
  });

  it("reports a cycle in a directed file at the graph's declaration", () => {
    writeFileSync(
      join(dir, "cycle.json"),
      JSON.stringify({
        directed: true,
        edges: [
          [0, 1],
          [1, 2],
          [2, 0],
        ],
      }),
    );
    const [d] = analyze('graph c = file("cycle.json")', { fileName: join(dir, "net.ds") }).diagnostics;
    expect(d?.code).toBe("DS3001");
    expect(d?.message).toContain("0 -> 1 -> 2 -> 0");
  });
});
