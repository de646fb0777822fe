import { describe, expect, it } from "vitest";
import type { Model } from "../../runtime/index.js";
import { analyze } from "../../src/index.js";
import { buildModel } from "../support/models.js";

/**
 * The live connections between a structure's hidden layers, read back from a
 * running model's masks as graph vertex pairs.
 */
function liveHiddenEdges(model: Model<readonly number[], readonly number[]>): string[] {
  const layers = new Map(model.layers.map((layer) => [layer.name, layer]));
  const edges: string[] = [];
  for (const block of model.blocks) {
    const source = layers.get(block.source)!;
    const target = layers.get(block.target)!;
    if (source.vertices === undefined || target.vertices === undefined) continue;
    const mask = model.getMask(block.name);
    mask.forEach((live, index) => {
      if (live === 0) return;
      const s = source.vertices![Math.floor(index / block.targetSize)]!;
      const t = target.vertices![index % block.targetSize]!;
      edges.push(`${s}->${t}`);
    });
  }
  return edges.sort();
}

const sorted = (edges: Iterable<string>): string[] => [...edges].sort();

describe("a structure's live connections are exactly its graph's edges", () => {
  it("balanced tree r=3, h=3: parent i feeds children 3i+1..3i+3", async () => {
    const model = await buildModel("graph t = balanced_tree(r=3, h=3)\nnetwork T { input 4 structure t output 2 }");
    const expected: string[] = [];
    for (let child = 1; child < 40; child++) expected.push(`${Math.floor((child - 1) / 3)}->${child}`);
    const live = liveHiddenEdges(model);
    expect(live).toEqual(sorted(expected));
    expect(new Set(live).size).toBe(39);
    model.dispose();
  });

  it("grid 4×5, periodic: right and down neighbours plus wrap-arounds, oriented low → high", async () => {
    const rows = 4;
    const cols = 5;
    const model = await buildModel(`graph g = grid_2d(rows=${rows}, cols=${cols}, periodic=true)\nnetwork G { input 4 structure g output 2 }`);
    const expected = new Set<string>();
    const id = (i: number, j: number): number => i * cols + j;
    const add = (a: number, b: number): void => void expected.add(`${Math.min(a, b)}->${Math.max(a, b)}`);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        add(id(i, j), id((i + 1) % rows, j));
        add(id(i, j), id(i, (j + 1) % cols));
      }
    }
    expect(expected.size).toBe(2 * rows * cols);
    expect(liveHiddenEdges(model)).toEqual(sorted(expected));
    model.dispose();
  });

  it("Watts–Strogatz n=60, k=4, p=0.3: the elaborated graph's edges, each once", async () => {
    const source = "graph w = watts_strogatz(n=60, k=4, p=0.3, seed=5)\nnetwork W { input 4 structure w output 2 }";
    const { program } = analyze(source);
    const graph = program!.graphs.get("w")!.graph;
    const expected = graph.mapEdges((_e, _a, s, t) => `${s}->${t}`);
    expect(expected).toHaveLength(120);
    const model = await buildModel(source);
    expect(liveHiddenEdges(model)).toEqual(sorted(expected));
    model.dispose();
  });

  it("nothing but the input → sources and sinks → output connections besides the edges", async () => {
    // diamond: 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, plus a skip 0 -> 3 and a second sink 4 at depth 1.
    const model = await buildModel("graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3, 0 -> 4 }\nnetwork D { input 5 structure d output 2 }");
    expect(liveHiddenEdges(model)).toEqual(sorted(["0->1", "0->2", "1->3", "2->3", "0->3", "0->4"]));
    const live = Object.fromEntries(model.blocks.map((b) => [b.name, model.liveConnections(b.name)]));
    expect(live).toEqual({
      "input->d.d0": 5, // 5 inputs to the one source
      "d.d0->d.d1": 3, // 0->1, 0->2, 0->4
      "d.d0->d.d2": 1, // the skip connection 0->3
      "d.d1->d.d2": 2, // 1->3, 2->3
      "d.d1->output": 2, // sink 4 to both outputs
      "d.d2->output": 2, // sink 3 to both outputs
    });
    model.dispose();
  });
});
