import { describe, expect, it } from "vitest";
import { tf } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

/**
 * Brute force: with a linear network and zero biases, input neuron i reaches
 * conv output o exactly when the one-hot input at i gives o a non-zero value
 * (random weights are never exactly 0). Each case is a different geometry.
 */
const CASES = [
  { label: "square, 3×3, same", input: [2, 6, 6], conv: "conv(3, kernel=3, padding=same)" },
  { label: "non-square 5×9, kernel [3, 2], stride [2, 1], same", input: [1, 5, 9], conv: "conv(2, kernel=[3, 2], stride=[2, 1], padding=same)" },
  { label: "non-square 8×5, dilation 2, valid", input: [2, 8, 5], conv: "conv(2, kernel=2, dilation=2)" },
  { label: "non-square 7×4, stride 2 and dilation [1, 2], same", input: [1, 7, 4], conv: "conv(3, kernel=[2, 2], stride=2, dilation=[1, 2], padding=same)" },
];

describe.each(CASES)("order-0 extraction of a conv: $label", ({ input, conv }) => {
  it("has exactly the brute-force receptive fields, one edge per weight use, keys channel-first", async () => {
    const model = await buildModel(`network E { input [${input.join(", ")}] features [${conv}] output 2 activation linear }`, { seed: 5 });
    model.parameters.find((p) => p.name === "conv1.bias")!.variable.assign(tf.zeros([model.features[0]!.weightShape![3]]));
    const size = input.reduce((a, b) => a * b, 1);
    const outSize = model.layers[0]!.size;
    const expected = new Set<string>();
    for (let i = 0; i < size; i++) {
      const x = tf.oneHot(tf.tensor1d([i], "int32"), size);
      const y = model.activations(x, ["features"])["features"]!;
      y.dataSync().forEach((v, o) => v !== 0 && expected.add(`input:${i}->conv1:${o}`));
      tf.dispose([x, y]);
    }
    const graph = model.extractGraph({ order: 0, includeOutputs: false });
    const found = graph.filterEdges((_e, _a, s, t) => s.startsWith("input:")).map((e) => `${graph.source(e)}->${graph.target(e)}`);
    expect(new Set(found).size).toBe(found.length);
    expect(new Set(found)).toEqual(expected);
    expect(graph.filterNodes((n) => n.startsWith("conv1:")).length).toBe(outSize);
    model.dispose();
  });
});

describe("extraction over a whole feature stack", () => {
  it("leaves masked conv weights out, links pools and batch norms, and feeds the dense layer from the last map", async () => {
    const model = await buildModel("network S { input [1, 6, 4] features [conv(2, kernel=3, padding=same), batch_norm(), max_pool(2)] dense 3 output 2 }", { seed: 2 });
    const full = model.extractGraph({ order: 0 });
    const mask = new Uint8Array(18).fill(1);
    mask[0] = 0; // weight [0, 0, 0, 0]: row 0, col 0 tap of channel 0
    model.setMask("conv1", mask);
    const pruned = model.extractGraph({ order: 0 });
    // Tap (0, 0) of output channel 0 is used once per output position whose tap lands inside the input: 5 × 3 of the 6 × 4.
    const convEdges = (g: typeof full): number => g.filterEdges((_e, _a, s, t) => s.startsWith("input:") && t.startsWith("conv1:")).length;
    expect(convEdges(full) - convEdges(pruned)).toBe(15);
    expect(pruned.filterEdges((_e, _a, s, t) => s.startsWith("conv1:") && t.startsWith("bn1:")).length).toBe(48);
    expect(pruned.filterEdges((_e, _a, s, t) => s.startsWith("bn1:") && t.startsWith("pool1:")).length).toBe(48);
    expect(pruned.outDegree("pool1:0")).toBe(3);
    // Orders 1 and 2 merge positions into channels and maps; their edges count the order-0 edges and keep their norm.
    const byLayer = model.extractGraph({ order: 2 });
    expect(byLayer.nodes()).toEqual(["input", "conv1", "bn1", "pool1", "dense1", "output"]);
    expect(byLayer.getEdgeAttribute(byLayer.edge("input", "conv1")!, "connections")).toBe(convEdges(pruned));
    expect(byLayer.hasEdge("pool1", "dense1")).toBe(true);
    const byChannel = model.extractGraph({ order: 1 });
    expect(byChannel.filterNodes((n) => n.startsWith("conv1:"))).toEqual(["conv1:0", "conv1:1"]);
    const weights = pruned
      .filterEdges((_e, _a, s, t) => s.startsWith("input:") && t.startsWith("conv1:") && Number(t.slice(6)) < 24)
      .map((e) => pruned.getEdgeAttribute(e, "weight")!);
    const edge = byChannel.edge("input:0", "conv1:0")!;
    expect(byChannel.getEdgeAttribute(edge, "connections")).toBe(weights.length);
    expect(byChannel.getEdgeAttribute(edge, "norm")).toBeCloseTo(Math.sqrt(weights.reduce((a, w) => a + w * w, 0)), 5);
    model.dispose();
  });
});
