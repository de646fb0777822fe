import { DirectedGraph } from "graphology";
import { describe, expect, it } from "vitest";
import { analyze, appendLayered, areConnected, connectedLayerPairs, edgesBetween, layeredGraph, layerOf, layerSizes, neuronCounts, verticesIn } from "../../src/index.js";
import { buildModel } from "../support/models.js";

/** 0 → 1 → 3, 0 → 2 → 3, 0 → 3, 4 → 3: layers [0, 4], [1, 2], [3]. */
function diamond() {
  const g = new DirectedGraph();
  for (const [s, t] of [
    [0, 1],
    [1, 3],
    [0, 2],
    [2, 3],
    [0, 3],
    [4, 3],
  ])
    g.mergeEdge(String(s), String(t));
  return layeredGraph("diamond", g);
}

describe("the layered-graph API", () => {
  const d = diamond();

  it("answers layer questions on a hand-made graph", () => {
    expect(d.layers).toEqual([[0, 4], [1, 2], [3]]);
    expect(layerOf(d, 4)).toBe(0);
    expect(layerOf(d, 3)).toBe(2);
    expect(verticesIn(d, 1)).toEqual([1, 2]);
    expect(layerSizes(d)).toEqual([2, 2, 1]);
    expect(connectedLayerPairs(d)).toEqual([
      { source: 0, target: 1, edges: 2 },
      { source: 0, target: 2, edges: 2 },
      { source: 1, target: 2, edges: 2 },
    ]);
    expect(edgesBetween(d, 0, 2)).toBe(2);
    expect(areConnected(d, 1, 2)).toBe(true);
    expect(areConnected(d, 2, 1)).toBe(false);
    expect(() => layerOf(d, 9)).toThrow("graph 'diamond' has no vertex 9");
    expect(() => verticesIn(d, 3)).toThrow("graph 'diamond' has layers 0 … 2, not 3");
  });

  it("appends one graph on top of another: ids shifted, every sink feeding every source", () => {
    const pair = new DirectedGraph();
    pair.mergeEdge("0", "1");
    pair.mergeEdge("2", "1");
    const stacked = appendLayered(d, layeredGraph("v", pair));
    // top's 0, 1, 2 become 5, 6, 7; bottom's sink 3 feeds top's sources 5 and 7.
    expect(stacked.graph.hasEdge("3", "5") && stacked.graph.hasEdge("3", "7")).toBe(true);
    expect(stacked.graph.size).toBe(6 + 2 + 2);
    expect(layerSizes(stacked)).toEqual([2, 2, 1, 2, 1]);
  });

  it("append in the language agrees with appendLayered", () => {
    const { program } = analyze("graph a = balanced_tree(2, 1)\ngraph b = path(2)\ngraph s = append(a, b)");
    const s = program!.graphs.get("s")!;
    expect(s.graph.mapEdges((_e, _x, u, v) => `${u}->${v}`).sort()).toEqual(["0->1", "0->2", "1->3", "2->3", "3->4"]);
  });

  it("refuses a graph with a cycle or with non-integer keys", () => {
    const cyclic = new DirectedGraph();
    cyclic.mergeEdge("0", "1");
    cyclic.mergeEdge("1", "0");
    expect(() => layeredGraph("c", cyclic)).toThrow("graph 'c' has a cycle");
    const named = new DirectedGraph();
    named.mergeEdge("a", "b");
    expect(() => layeredGraph("n", named)).toThrow("node 'a' is not a non-negative integer");
  });
});

describe("scalable families", () => {
  it.each([
    ["uniform", 70, [10, 10, 10, 10, 10, 10, 10]],
    ["[1, 2, 2, 1, 1, 1, 1]", 90, [10, 20, 20, 10, 10, 10, 10]],
  ])("proportions %s over scale %i give groups that sum to the scale", (proportions, scale, expected) => {
    const { program } = analyze(`graph s = scalable(balanced_tree(2, 2), scale=${scale}, proportions=${proportions})`);
    const s = program!.graphs.get("s")!;
    expect([...s.groupSizes!.values()]).toEqual(expected);
    expect(neuronCounts(s).reduce((a, b) => a + b)).toBe(scale);
  });

  it("Dirichlet proportions are seeded and sum to the scale within rounding", () => {
    const sizes = (seed: number): number[] => {
      const { program } = analyze(`graph s = scalable(watts_strogatz(30, 4, 0.3, seed=1), scale=600, proportions=dirichlet(alpha=2, seed=${seed}))`);
      return [...program!.graphs.get("s")!.groupSizes!.values()];
    };
    const a = sizes(3);
    expect(a).toEqual(sizes(3));
    expect(a).not.toEqual(sizes(4));
    expect(Math.abs(a.reduce((x, y) => x + y) - 600)).toBeLessThanOrEqual(30 / 2);
    expect(new Set(a).size).toBeGreaterThan(5);
  });

  it("every base edge becomes a full connection between the two groups", async () => {
    const model = await buildModel("graph s = scalable(balanced_tree(2, 1), scale=12, proportions=[2, 1, 1])\nnetwork N { input 3 structure s output 2 }");
    // groups of 6, 3 and 3 neurons; edges 0 -> 1 and 0 -> 2: 6·3 + 6·3 live connections.
    expect(model.liveConnections("s.d0->s.d1")).toBe(36);
    expect(model.layers.find((l) => l.name === "s.d1")!.vertices).toEqual([1, 1, 1, 2, 2, 2]);
    expect(model.liveConnections("input->s.d0")).toBe(3 * 6);
  });
});
