import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyze, type LayeredGraph } from "../../src/index.js";

function graphOf(source: string, name = "g"): LayeredGraph {
  const result = analyze(source);
  const graph = result.program?.graphs.get(name);
  if (!graph) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return graph;
}
const edges = (g: LayeredGraph): string[] => g.graph.mapEdges((_e, _a, s, t) => `${s}->${t}`).sort();

/** Undirected simple graphs as `edges { a -- b, … }` text. */
const undirectedGraphs = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 14 })), {
    minLength: 1,
    maxLength: 40,
    selector: ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`,
  })
  .map((pairs) => pairs.filter(([a, b]) => a !== b))
  .filter((pairs) => pairs.length > 0);

describe("orientation", () => {
  it("never yields a cycle, and keeps every edge once, for every rule (300 random graphs)", () => {
    fc.assert(
      fc.property(undirectedGraphs, fc.constantFrom("index", "bfs", "random"), fc.nat(1000), (pairs, rule, seed) => {
        const list = pairs.map(([a, b]) => `${a} -- ${b}`).join(", ");
        const root = pairs[0]![0];
        const result = analyze(`graph u = edges { ${list} }\ngraph g = orient(u, ${rule}, roots=[${root}], seed=${seed})`);
        expect(result.diagnostics).toEqual([]); // a cycle would be DS3001
        const g = result.program!.graphs.get("g")!;
        const undirected = edges(g)
          .map((e) =>
            e
              .split("->")
              .map(Number)
              .sort((x, y) => x - y)
              .join("--"),
          )
          .sort();
        expect(undirected).toEqual(pairs.map(([a, b]) => `${Math.min(a, b)}--${Math.max(a, b)}`).sort());
      }),
      { numRuns: 300 },
    );
  });

  it("bfs points edges away from the roots, in discovery order", () => {
    const g = graphOf("graph p = path(5)\ngraph g = orient(p, bfs, roots=[2])");
    expect(edges(g)).toEqual(["1->0", "2->1", "2->3", "3->4"]);
    expect(g.layers).toEqual([[2], [1, 3], [0, 4]]);
  });

  it("random orientation depends on its seed only", () => {
    const make = (seed: number): string[] => edges(graphOf(`graph c = complete(8)\ngraph g = orient(c, random, seed=${seed})`));
    expect(make(1)).toEqual(make(1));
    expect(make(1)).not.toEqual(make(2));
  });
});
