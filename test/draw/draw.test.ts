import { describe, expect, it } from "vitest";
import { createNetwork, type Model } from "../../runtime/index.js";
import { chooseOrder, drawNetwork } from "../../src/draw/index.js";
import { buildModel } from "../support/models.js";
import { elements, exampleSpec, parseSvg } from "./support.js";

const DIAMOND = "graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }\nnetwork S {\n  input 3\n  structure d\n  dense 4\n  output 1\n}";
const MASKED = "network M {\n  input 6\n  dense [8, 5]\n  output 3\n  mask random(density=0.5, seed=3, layers=[dense1])\n}";

const neurons = (model: Model): number => model.layers.reduce((sum, l) => sum + l.size, 0);

/** Live connections of the blocks that jump over at least one layer. */
function skipConnections(model: Model): number {
  const index = new Map(model.layers.map((l, i) => [l.name, i]));
  return model.blocks.filter((b) => index.get(b.target)! - index.get(b.source)! > 1).reduce((sum, b) => sum + model.liveConnections(b.name), 0);
}

async function withModel<T>(source: string, use: (model: Model) => Promise<T>): Promise<T> {
  const model = await buildModel(source);
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

describe("drawNetwork at order 0", () => {
  it.each([
    ["a structure with a skip", DIAMOND],
    ["masked dense layers", MASKED],
  ])("draws one circle per neuron and one path per live connection: %s", async (_name, source) => {
    await withModel(source, async (model) => {
      const { svg, order } = await drawNetwork(model);
      expect(order).toBe(0);
      const doc = parseSvg(svg);
      expect(elements(doc, "circle").length).toBe(neurons(model));
      expect(elements(doc, "path").length).toBe(model.liveConnections());
      expect(elements(doc, "line").length).toBe(0);
    });
  });

  it("leaves a pruned connection out", async () => {
    await withModel(MASKED, async (model) => {
      const before = elements(parseSvg((await drawNetwork(model)).svg), "path").length;
      const mask = model.getMask("dense1->dense2");
      const live = mask.indexOf(1);
      mask[live] = 0;
      model.setMask("dense1->dense2", mask);
      const after = elements(parseSvg((await drawNetwork(model)).svg), "path").length;
      expect(after).toBe(before - 1);
      expect(after).toBe(model.liveConnections());
    });
  });

  it("marks the connection that jumps a depth as a skip, routed through a bend", async () => {
    await withModel(DIAMOND, async (model) => {
      expect(skipConnections(model)).toBe(1);
      const skips = elements(parseSvg((await drawNetwork(model)).svg), "path", "skip");
      expect(skips.length).toBe(1);
      // ELK routed it around the depth between: not a straight segment.
      expect(skips[0]!.getAttribute("d")).toMatch(/Q/);
    });
  });

  it("colours a model's connections by sign and a spec's plainly", async () => {
    await withModel(MASKED, async (model) => {
      const strokes = (svg: string): Set<string> => new Set(elements(parseSvg(svg), "path").map((p) => p.getAttribute("stroke")!));
      expect(strokes((await drawNetwork(model)).svg)).toEqual(new Set(["#2166ac", "#b2182b"]));
      expect(strokes((await drawNetwork(model, { weights: false })).svg)).toEqual(new Set(["#666666"]));
    });
  });

  it("gives the same bytes for the same input", async () => {
    const spec = exampleSpec("priors.ds", "Tree");
    const first = (await drawNetwork(spec)).svg;
    expect((await drawNetwork(spec)).svg).toBe(first);
    const model = await createNetwork(spec, { backend: "cpu" });
    try {
      expect((await drawNetwork(model, { weights: false })).svg).toBe(first);
    } finally {
      model.dispose();
    }
  });
});

describe("drawNetwork's aggregated views", () => {
  it("draws examples/small_world.ds by layers: a box per layer, a path per connected layer pair", async () => {
    const model = await createNetwork(exampleSpec("small_world.ds", "SmallWorld"), { backend: "cpu" });
    try {
      expect(chooseOrder(model)).toBe(2);
      const { svg, order } = await drawNetwork(model, { weights: false });
      expect(order).toBe(2);
      const doc = parseSvg(svg);
      const boxes = elements(doc, "rect", "node");
      expect(boxes.length).toBe(model.layers.length);
      expect(elements(doc, "circle").length).toBe(0);
      const pairs = model.extractGraph({ order: 2 });
      expect(elements(doc, "path").length).toBe(pairs.size);
      expect(elements(doc, "path", "skip").length).toBeGreaterThan(0);
      // Every edge is labelled with its block's density: input → d0 is a full block.
      expect(elements(doc, "text").map((t) => t.textContent)).toContain("100%");
    } finally {
      model.dispose();
    }
  });

  it("draws neuron groups at order 1, and the layers without groups whole", async () => {
    const source = "graph motif = edges { 0 -> 1, 0 -> 2, 1 -> 2 }\ngraph g = scalable(motif, scale=8)\nnetwork G {\n  input 4\n  structure g\n  output 2\n}";
    await withModel(source, async (model) => {
      const { svg } = await drawNetwork(model, { order: 1 });
      const doc = parseSvg(svg);
      // A box per group of the structure (3), one per other layer (input, output).
      const boxes = elements(doc, "rect", "node");
      expect(boxes.length).toBe(model.layers.reduce((sum, l) => sum + (l.vertices === undefined ? 1 : new Set(l.vertices).size), 0));
      expect(boxes.length).toBe(5);
      // input → 0, 0 → 1, 0 → 2, 1 → 2 and the sink 2 → output.
      expect(elements(doc, "path").length).toBe(5);
      expect(elements(doc, "path", "skip").length).toBe(1);
      const labels = elements(doc, "text").map((t) => t.textContent);
      expect(labels).toEqual(expect.arrayContaining(["input", "output", "v0", "v1", "v2", "100%"]));
    });
  });

  it("keeps examples/mlp.ds (1,094 neurons) to its four layers", async () => {
    const { svg, order } = await drawNetwork(exampleSpec("mlp.ds", "Mlp"));
    expect(order).toBe(2);
    expect(elements(parseSvg(svg), "rect", "node").length).toBe(4);
  });
});
