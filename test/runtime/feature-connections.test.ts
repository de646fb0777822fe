import { describe, expect, it } from "vitest";
import { extractConnections, type ConnectionList, type ExtractedGraph } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

/** A list's entries as `LAYER:INDEX->LAYER:INDEX=WEIGHT`. */
function listed(list: ConnectionList): string[] {
  const name = (neuron: number): string => {
    const layer = list.layers.find((l) => neuron >= l.offset && neuron < l.offset + l.size)!;
    return `${layer.name}:${neuron - layer.offset}`;
  };
  return Array.from(list.sources, (s, i) => `${name(s)}->${name(list.targets[i]!)}=${list.weights[i]}`).sort();
}

/** The graph's edges named by their vertices' `layer` and `index`, weights as float32. */
function drawn(graph: ExtractedGraph): string[] {
  const name = (key: string): string => `${graph.getNodeAttribute(key, "layer")}:${graph.getNodeAttribute(key, "index")}`;
  return graph.mapEdges((_e, a, s, t) => `${name(s)}->${name(t)}=${Math.fround(a.weight!)}`).sort();
}

describe("extractConnections of networks with feature layers or cells", () => {
  it("lists a conv network's order-0 graph: every map and dense layer, every weight use", async () => {
    const model = await buildModel("network C { input [2, 5, 4] features [conv(3, kernel=[3, 2], stride=[2, 1]), max_pool(2)] dense 4 output 2 }", { seed: 2 });
    const mask = model.getMask("conv1");
    mask[4] = 0;
    model.setMask("conv1", mask);
    const list = extractConnections(model, { threshold: 0.05 });
    expect(list.layers.map((l) => [l.name, l.size])).toEqual([
      ["input", 40],
      ["conv1", 3 * 2 * 3],
      ["pool1", 3 * 1 * 1],
      ["dense1", 4],
      ["output", 2],
    ]);
    expect(listed(list)).toEqual(drawn(model.extractGraph({ order: 0, threshold: 0.05 })));
    expect(listed(extractConnections(model, { includeInputs: false, includeOutputs: false }))).toEqual(
      drawn(model.extractGraph({ order: 0, includeInputs: false, includeOutputs: false })),
    );
    model.dispose();
  });

  it("lists a cell network's maps, cell by cell, and the head's", async () => {
    const model = await buildModel(
      "cell c = [conv(2, kernel=3, padding=same)]\ngraph g = edges { 0 -> 1, 0 -> 2, 1 -> 2 }\nnetwork N { input [1, 5, 4] structure g cells c head 3 output 2 }",
      { seed: 5 },
    );
    const list = extractConnections(model);
    expect(list.layers.map((l) => l.name)).toEqual(["input", "cell0.conv1", "cell1.conv1", "cell2.conv1", "head.conv", "head.bn", "head.gap", "output"]);
    expect(listed(list)).toEqual(drawn(model.extractGraph({ order: 0 })));
    expect(list.sources.length).toBeGreaterThan(model.liveConnections());
    model.dispose();
  });
});
