import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExtractedGraph } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

/**
 * Random DAGs on up to 10 vertices: pairs a < b of positions, each position
 * then renamed through a shuffled list of ids, so vertex numbers do not
 * follow the topological order.
 */
const dags = fc
  .tuple(
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })), {
      minLength: 1,
      maxLength: 20,
      selector: ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`,
    }),
    fc.shuffledSubarray([3, 14, 15, 9, 26, 5, 35, 8, 97, 93], { minLength: 10, maxLength: 10 }),
  )
  .map(([pairs, ids]) => pairs.filter(([a, b]) => a !== b).map(([a, b]): [number, number] => [ids[Math.min(a, b)]!, ids[Math.max(a, b)]!]))
  .filter((pairs) => pairs.length > 0);

/** The edges among the cells: vertices carrying a graph vertex number. */
function cellEdges(graph: ExtractedGraph): string[] {
  return graph
    .filterEdges((_e, _a, s, t) => graph.getNodeAttribute(s, "vertex") !== undefined && graph.getNodeAttribute(t, "vertex") !== undefined)
    .map((e) => `${graph.source(e)}->${graph.target(e)}`)
    .sort();
}

describe("graph → cell network → graph", () => {
  it("order 2 of a cell network gives back its graph: the cells, the edges among them, the input into the sources and the sinks into the head (50 random DAGs)", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(dags, async (pairs) => {
        const list = pairs.map(([a, b]) => `${a} -> ${b}`).join(", ");
        const model = await buildModel(`
          cell c = [conv(2, kernel=3, padding=same), batch_norm()]
          graph g = edges { ${list} }
          network N { input [1, 5, 4]  structure g  cells c  head 3  output 2 }`);
        runs++;
        const graph = model.extractGraph({ order: 2 });
        const vertices = [...new Set(pairs.flat())].sort((a, b) => a - b);
        const cells = graph.filterNodes((_k, a) => a.vertex !== undefined);
        expect(cells.map(Number).sort((a, b) => a - b)).toEqual(vertices);
        for (const key of cells) expect(graph.getNodeAttributes(key)).toMatchObject({ layer: `cell${key}`, vertex: Number(key), size: 2 * 5 * 4 });
        expect(cellEdges(graph)).toEqual(pairs.map(([a, b]) => `${a}->${b}`).sort());

        const sources = vertices.filter((v) => !pairs.some(([, b]) => b === v));
        const sinks = vertices.filter((v) => !pairs.some(([a]) => a === v));
        expect(
          graph
            .outNeighbors("input")
            .map(Number)
            .sort((a, b) => a - b),
        ).toEqual(sources);
        expect(
          graph
            .inNeighbors("head")
            .map(Number)
            .sort((a, b) => a - b),
        ).toEqual(sinks);
        // A cell's edge from a predecessor counts that predecessor's 2 channels in its 3×3×(2·in-degree)×2 conv.
        for (const [a, b] of pairs) expect(graph.getEdgeAttributes(graph.edge(String(a), String(b))!).connections).toBe(3 * 3 * 2 * 2);
        expect(graph.outNeighbors("head")).toEqual(["output"]);
        model.dispose();
      }),
      { numRuns: 50 },
    );
    expect(runs).toBe(50);
  });
});
