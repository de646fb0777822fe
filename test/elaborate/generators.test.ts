import { describe, expect, it } from "vitest";
import { analyze } from "../../src/index.js";
import type { LayeredGraph } from "../../src/index.js";

function graphOf(source: string, name = "g"): LayeredGraph {
  const result = analyze(source);
  const graph = result.program?.graphs.get(name);
  if (!graph) throw new Error(`no graph '${name}': ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return graph;
}

const edgeList = (g: LayeredGraph): string[] => g.graph.mapEdges((_e, _a, s, t) => `${s}->${t}`).sort();
const degrees = (g: LayeredGraph): number[] => g.graph.mapNodes((node) => g.graph.degree(node));

describe("generators follow networkx", () => {
  it("balanced_tree(r=3, h=3): 40 vertices, 39 edges, children of i are 3i+1..3i+3", () => {
    const g = graphOf("graph g = balanced_tree(r=3, h=3)");
    expect(g.graph.order).toBe(40);
    expect(g.graph.size).toBe(39);
    expect(g.graph.outNeighbors("4").sort()).toEqual(["13", "14", "15"]);
    expect(g.layers.map((l) => l.length)).toEqual([1, 3, 9, 27]);
  });

  it("grid_2d(4, 5): 20 vertices, 31 edges; periodic adds 4 + 5 wrap edges", () => {
    const plain = graphOf("graph g = grid_2d(rows=4, cols=5)");
    expect([plain.graph.order, plain.graph.size]).toEqual([20, 31]);
    expect(plain.graph.hasEdge("6", "7") && plain.graph.hasEdge("6", "11")).toBe(true);
    const periodic = graphOf("graph g = grid_2d(rows=4, cols=5, periodic=true)");
    expect(periodic.graph.size).toBe(40);
    expect(periodic.graph.hasEdge("5", "9")).toBe(true); // row 1 wraps: (1,0) -- (1,4)
    expect(periodic.graph.hasEdge("2", "17")).toBe(true); // column 2 wraps: (0,2) -- (3,2)
    // A dimension of two does not wrap (networkx would otherwise duplicate the edge).
    expect(graphOf("graph g = grid_2d(rows=2, cols=2, periodic=true)").graph.size).toBe(4);
  });

  it("watts_strogatz keeps n·k/2 edges and every vertex's ring edges, rewiring only their far ends", () => {
    const g = graphOf("graph g = watts_strogatz(n=200, k=6, p=0.3, seed=5)");
    expect([g.graph.order, g.graph.size]).toEqual([200, 600]);
    expect(Math.min(...degrees(g))).toBeGreaterThanOrEqual(3); // each vertex keeps its own k/2 edges
    const ring = graphOf("graph g = watts_strogatz(n=200, k=6, p=0, seed=5)");
    expect(degrees(ring).every((d) => d === 6)).toBe(true);
    const rewired = edgeList(g).filter((e) => !ring.graph.hasEdge(...(e.split("->") as [string, string])));
    expect(rewired.length).toBeGreaterThan(600 * 0.2);
    expect(rewired.length).toBeLessThan(600 * 0.4);
  });

  it("erdos_renyi has about p·n(n-1)/2 edges", () => {
    const g = graphOf("graph g = erdos_renyi(n=400, p=0.05, seed=1)");
    const expected = (0.05 * (400 * 399)) / 2; // 3990, standard deviation ≈ 61
    expect(Math.abs(g.graph.size - expected)).toBeLessThan(250);
    expect(graphOf("graph g = erdos_renyi(n=30, p=1)").graph.size).toBe(435);
    expect(graphOf("graph g = erdos_renyi(n=30, p=0)").graph.size).toBe(0);
    // Many vertices: nothing in the layering may spread a per-vertex array into arguments.
    expect(graphOf("graph g = erdos_renyi(n=200000, p=0, fast=true)").layers.map((l) => l.length)).toEqual([200000]);
  });

  it.each(["watts_strogatz(n=300, k=4, p=0.5, seed=SEED)", "erdos_renyi(n=300, p=0.02, seed=SEED)"])("%s is a function of its seed", (call) => {
    const make = (seed: number): string[] => edgeList(graphOf(`graph g = ${call.replace("SEED", String(seed))}`));
    expect(make(3)).toEqual(make(3));
    expect(make(3)).not.toEqual(make(4));
  });
});

describe("orientation and layering", () => {
  it("orients undirected edges from the lower id to the higher", () => {
    const g = graphOf("graph g = edges { 3 -- 1, 1 -- 2, 0 -- 3 }");
    expect(edgeList(g)).toEqual(["0->3", "1->2", "1->3"]);
  });

  it("puts a vertex one deeper than its deepest predecessor, whatever depths its edges skip", () => {
    const g = graphOf("graph g = edges { 0 -> 1 -> 2 -> 3, 0 -> 3, 4 -> 3, 5 -> 0 }");
    expect(g.layers).toEqual([[4, 5], [0], [1], [2], [3]]);
    expect(g.depthOf.get(3)).toBe(4);
  });

  it("keeps ids that are not contiguous", () => {
    const g = graphOf("graph g = edges { 10 -> 20, 10 -> 30, 30 -> 20 }");
    expect(g.layers).toEqual([[10], [30], [20]]);
  });

  it("shows a directed cycle, ending with the edge written last", () => {
    const [d] = analyze("graph g = edges { 5 -> 6, 1 -> 2, 2 -> 3, 3 -> 1 }").diagnostics;
    expect(d?.code).toBe("DS3001");
    expect(d?.message).toBe("graph 'g' has a cycle: 1 -> 2 -> 3 -> 1");
    expect(d?.span.start.column).toBe(43);
  });

  it("layers a 20,000-edge chain and finds a cycle through it without recursion limits", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => `${i} -> ${i + 1}`).join(", ");
    const g = graphOf(`graph g = edges { ${chain} }`);
    expect(g.layers.length).toBe(20_001);
    const cyclic = analyze(`graph g = edges { ${chain}, 20000 -> 0 }`).diagnostics[0];
    expect(cyclic?.code).toBe("DS3001");
  });
});
