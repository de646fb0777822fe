import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExtractedGraph } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

/** Random DAGs as directed edge lists u -> v with u < v (acyclic by construction), ids up to 30. */
const dags = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), {
    minLength: 1,
    maxLength: 45,
    selector: ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`,
  })
  .map((pairs) => pairs.filter(([a, b]) => a !== b).map(([a, b]): [number, number] => [Math.min(a, b), Math.max(a, b)]))
  .filter((pairs) => pairs.length > 0);

const edgeSet = (graph: ExtractedGraph): string[] => graph.mapEdges((_e, _a, s, t) => `${s}->${t}`).sort();
const hidden = { order: 0, includeInputs: false, includeOutputs: false } as const;

describe("graph → network → graph", () => {
  it("order-0 extraction of the hidden part is exactly the original edge set; after pruning, minus the pruned edges (200 random DAGs)", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(dags, fc.nat(), async (pairs, pruneSeed) => {
        const list = pairs.map(([a, b]) => `${a} -> ${b}`).join(", ");
        const model = await buildModel(`graph g = edges { ${list} }\nnetwork N { input 3 structure g output 2 }`);
        runs++;
        const original = pairs.map(([a, b]) => `${a}->${b}`).sort();
        expect(edgeSet(model.extractGraph(hidden))).toEqual(original);

        // Prune every live connection of the first hidden block whose index hits the seed's pattern.
        const block = model.blocks.find((b) => b.source !== "input" && b.target !== "output");
        if (block === undefined) return;
        const mask = model.getMask(block.name);
        const source = model.layers.find((l) => l.name === block.source)!.vertices!;
        const target = model.layers.find((l) => l.name === block.target)!.vertices!;
        const pruned = new Set<string>();
        mask.forEach((live, i) => {
          if (live === 1 && (i + pruneSeed) % 2 === 0) {
            mask[i] = 0;
            pruned.add(`${source[Math.floor(i / block.targetSize)]}->${target[i % block.targetSize]}`);
          }
        });
        model.setMask(block.name, mask);
        expect(edgeSet(model.extractGraph(hidden))).toEqual(original.filter((e) => !pruned.has(e)));
        model.dispose();
      }),
      { numRuns: 200 },
    );
    expect(runs).toBe(200);
  });
});

describe("extraction at every order", () => {
  const source = "graph s = scalable(balanced_tree(2, 1), scale=4, proportions=[2, 1, 1])\nnetwork N { input 2 structure s output 3 }";

  it("order 0: neurons, with layer, index, kind and weight; grouped neurons keyed by layer and index", async () => {
    const model = await buildModel(source, { seed: 1 });
    const g = model.extractGraph({ order: 0 });
    expect(g.order).toBe(2 + 4 + 3);
    // input→s.d0: 2·2, s.d0→s.d1: 2·2 (groups of 2 → 1 and 1), sinks 1 and 2 → output: 2·3.
    expect(g.size).toBe(4 + 4 + 6);
    expect(g.getNodeAttributes("s.d0:1")).toEqual({ layer: "s.d0", index: 1, kind: "hidden", size: 1, vertex: 0 });
    expect(g.getNodeAttributes("output:2")).toMatchObject({ kind: "output", index: 2 });
    const w = model.getWeights("s.d0->s.d1");
    expect(g.getEdgeAttribute(g.edge("s.d0:1", "1")!, "weight")).toBe(w[1 * 2 + 0]);
  });

  it("order 1: graph vertices as groups, with the live count and weight norm of the connections between them", async () => {
    const model = await buildModel(source, { seed: 2 });
    const g = model.extractGraph({ order: 1, includeInputs: false, includeOutputs: false });
    expect(g.nodes().sort()).toEqual(["0", "1", "2"]);
    expect(g.getNodeAttribute("0", "size")).toBe(2);
    const w = model.getWeights("s.d0->s.d1"); // rows: neurons of vertex 0 (two); columns: vertices 1 and 2
    const edge = g.getEdgeAttributes(g.edge("0", "1")!);
    expect(edge.connections).toBe(2);
    expect(edge.norm).toBeCloseTo(Math.hypot(w[0]!, w[2]!), 6);
  });

  it("order 2: layers, with the live count and norm of each block; a threshold drops small weights", async () => {
    const model = await buildModel("network M { input 4 dense 3 output 2 }", { seed: 3 });
    model.setMask("input->dense1", [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
    const g = model.extractGraph({ order: 2 });
    expect(g.nodes()).toEqual(["input", "dense1", "output"]);
    const w = model.getWeights("input->dense1");
    const first = g.getEdgeAttributes(g.edge("input", "dense1")!);
    expect(first.connections).toBe(6);
    expect(first.norm).toBeCloseTo(Math.hypot(...w), 6);
    const all = model.getWeights("dense1->output").map(Math.abs).sort();
    const cut = all[2]!;
    const thresholded = model.extractGraph({ order: 2, threshold: cut });
    expect(thresholded.getEdgeAttribute(thresholded.edge("dense1", "output")!, "connections")).toBe(all.filter((v) => v > cut).length);
  });

  it("keeps two uses of one graph apart", async () => {
    const model = await buildModel("graph p = path(3)\nnetwork T { input 1 structure p structure p output 1 }");
    const g = model.extractGraph(hidden);
    expect(g.order).toBe(6);
    expect(g.hasNode("p/0") && g.hasNode("p#2/0")).toBe(true);
  });
});

describe("activation hooks", () => {
  it("return the activations of the layers asked for, consistent with predict, and free the rest", async () => {
    const { tf } = await import("../../runtime/index.js");
    const model = await buildModel("graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3 }\nnetwork A { input 3 structure d output 2 activation tanh }", { seed: 4 });
    const x = tf.tensor2d([0.1, -0.4, 0.9, 0.3, 0.2, -0.7], [2, 3]);
    const before = tf.memory().numTensors;
    const acts = model.activations(x, ["d.d1", "output"]);
    expect(Object.keys(acts)).toEqual(["d.d1", "output"]);
    expect(acts["d.d1"]!.shape).toEqual([2, 2]);
    expect(Array.from(acts["output"]!.dataSync())).toEqual(Array.from(model.predict(x).dataSync()));
    const values = acts["d.d1"]!.dataSync();
    expect(values.every((v) => v >= -1 && v <= 1)).toBe(true); // tanh
    tf.dispose(Object.values(acts));
    expect(tf.memory().numTensors).toBe(before + 1); // only predict's own result remains
    expect(() => model.activations(x, ["nope"])).toThrow("A.activations: unknown layer 'nope'");
  });
});

describe("extractConnections", () => {
  it("lists exactly the order-0 graph's edges and weights, in typed arrays", async () => {
    const model = await buildModel("graph g = watts_strogatz(20, 4, 0.3, seed=2)\nnetwork W { input 5 dense 4 structure g output 3 }", { seed: 6 });
    model.setMask(
      "input->dense1",
      model.getMask("input->dense1").map((_, i) => (i % 5 === 0 ? 0 : 1)),
    );
    const list = (await import("../../runtime/index.js")).extractConnections(model, { threshold: 0.05 });
    const graph = model.extractGraph({ order: 0, threshold: 0.05 });
    const name = (neuron: number): string => {
      const layer = list.layers.find((l) => neuron >= l.offset && neuron < l.offset + l.size)!;
      const info = model.layers.find((l) => l.name === layer.name)!;
      const index = neuron - layer.offset;
      return info.vertices ? String(info.vertices[index]) : `${layer.name}:${index}`;
    };
    const fromList = Array.from(list.sources, (s, i) => `${name(s)}->${name(list.targets[i]!)}=${list.weights[i]}`).sort();
    const fromGraph = graph.mapEdges((_e, a, s, t) => `${s}->${t}=${a.weight}`).sort();
    expect(fromList).toEqual(fromGraph);
    expect(list.sources.length).toBeLessThan(model.liveConnections());
    expect(list.sources.length).toBeGreaterThan(model.liveConnections() * 0.5);
  });
});
