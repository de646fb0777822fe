import { describe, expect, it } from "vitest";
import { analyze, layerSizes, type LayeredGraph } from "../../src/index.js";

function graphOf(call: string): LayeredGraph {
  const result = analyze(`graph g = ${call}`);
  const graph = result.program?.graphs.get("g");
  if (!graph) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return graph;
}
const degrees = (g: LayeredGraph): number[] => g.graph.mapNodes((node) => g.graph.degree(node));
const edges = (g: LayeredGraph): string[] => g.graph.mapEdges((_e, _a, s, t) => `${s}->${t}`).sort();

describe("the other generators, against networkx's counts", () => {
  it("complete(n=7): 21 edges, every degree 6", () => {
    const g = graphOf("complete(n=7)");
    expect([g.graph.order, g.graph.size]).toEqual([7, 21]);
    expect(degrees(g).every((d) => d === 6)).toBe(true);
    expect(layerSizes(g)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it("path(n=5): 4 edges in a chain; star(n=6): 7 vertices, the centre of degree 6", () => {
    expect(edges(graphOf("path(5)"))).toEqual(["0->1", "1->2", "2->3", "3->4"]);
    const s = graphOf("star(n=6)");
    expect([s.graph.order, s.graph.size, s.graph.outDegree("0")]).toEqual([7, 6, 6]);
    expect(layerSizes(s)).toEqual([1, 6]);
  });

  it("ladder(n=4): rails 0-1-2-3 and 4-5-6-7 with rungs i -- i+4, 10 edges", () => {
    const g = graphOf("ladder(4)");
    expect([g.graph.order, g.graph.size]).toEqual([8, 10]);
    expect(edges(g)).toEqual(["0->1", "0->4", "1->2", "1->5", "2->3", "2->6", "3->7", "4->5", "5->6", "6->7"]);
  });

  it("newman_watts_strogatz keeps the whole ring and only adds shortcuts", () => {
    const ring = graphOf("newman_watts_strogatz(n=100, k=4, p=0)");
    const g = graphOf("newman_watts_strogatz(n=100, k=4, p=0.4, seed=3)");
    expect(ring.graph.size).toBe(200);
    for (const edge of edges(ring)) expect(g.graph.hasEdge(...(edge.split("->") as [string, string]))).toBe(true);
    expect(g.graph.size - 200).toBeGreaterThan(200 * 0.25);
    expect(g.graph.size - 200).toBeLessThan(200 * 0.55);
  });

  it("barabasi_albert(n=200, m=3): m·(n−m) edges and the degrees of nx.barabasi_albert_graph(200, 3, seed=2)", () => {
    const g = graphOf("barabasi_albert(n=200, m=3, seed=2)");
    expect([g.graph.order, g.graph.size]).toEqual([200, 3 * 197]);
    const d = degrees(g);
    // networkx's: a leaf of the starting star can keep degree 2; the largest hub has 36.
    expect([Math.min(...d), Math.max(...d)]).toEqual([2, 36]);
  });

  it("random_dag(n=40, layers=5): depth is exactly the layer, edges only go up", () => {
    const g = graphOf("random_dag(n=40, layers=5, p=0.1, seed=4)");
    expect(layerSizes(g)).toEqual([8, 8, 8, 8, 8]);
    g.graph.forEachEdge((_e, _a, s, t) => expect(Math.floor(Number(s) / 8)).toBeLessThan(Math.floor(Number(t) / 8)));
    expect(g.layers[2]).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
  });

  it.each(["newman_watts_strogatz(n=80, k=4, p=0.5, seed=S)", "barabasi_albert(n=80, m=2, seed=S)", "random_dag(n=80, layers=4, p=0.1, seed=S)"])(
    "%s is a function of its seed",
    (call) => {
      const make = (seed: number): string[] => edges(graphOf(call.replace("S", String(seed))));
      expect(make(5)).toEqual(make(5));
      expect(make(5)).not.toEqual(make(6));
    },
  );
});
