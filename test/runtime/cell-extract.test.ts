import { describe, expect, it } from "vitest";
import { tf, type ExtractedGraph, type Model } from "../../runtime/index.js";
import type { FeatureLayerSpec } from "../../runtime/spec.js";
import { buildModel } from "../support/models.js";

/**
 * Brute force for order 0 of a cell network: every conv's edges from one-hot
 * inputs through tf.conv2d (TensorFlow.js's own receptive fields, not the
 * runtime's), over the map the conv reads built here by hand from the rule
 * runtime/cells states: the inputs' maps side by side along channels, each
 * zero-padded at the bottom and right. A padded position has no key, so it
 * has no edges.
 */

type Conv = Extract<FeatureLayerSpec, { kind: "conv" }>;
interface Map3 {
  readonly keys: readonly (string | undefined)[];
  readonly shape: readonly [number, number, number];
}

function mapOf(model: Model, layer: string): Map3 {
  const shape = model.features.find((f) => f.name === layer)!.outputShape;
  return { keys: Array.from({ length: shape[0] * shape[1] * shape[2] }, (_, i) => `${layer}:${i}`), shape };
}

function concatenate(maps: readonly Map3[]): Map3 {
  const height = Math.max(...maps.map((m) => m.shape[1]));
  const width = Math.max(...maps.map((m) => m.shape[2]));
  const keys: (string | undefined)[] = [];
  for (const { keys: own, shape } of maps)
    for (let c = 0; c < shape[0]; c++)
      for (let r = 0; r < height; r++) for (let q = 0; q < width; q++) keys.push(r < shape[1] && q < shape[2] ? own[(c * shape[1] + r) * shape[2] + q] : undefined);
  return { keys, shape: [maps.reduce((n, m) => n + m.shape[0], 0), height, width] };
}

/** `input:i -> conv:o` for every input position whose one-hot reaches output o through the masked kernel. */
function bruteForceEdges(model: Model, conv: Conv, reads: Map3): string[] {
  const [c, h, w] = reads.shape;
  const out = mapOf(model, conv.name);
  const kernel = model.parameters.find((p) => p.name === `${conv.name}.weight`)!.variable;
  const mask = model.getMask(conv.name);
  const edges: string[] = [];
  tf.tidy(() => {
    const masked = tf.mul(kernel, tf.tensor(mask, kernel.shape, "float32")) as tf.Tensor4D;
    // One sample per input position: channels first index i = (ch · h + r) · w + q, NHWC here.
    const onehot = tf.tensor4d(
      Array.from({ length: c * h * w }, (_, i) =>
        Array.from({ length: h * w * c }, (_, j) => (j === ((Math.floor(i / w) % h) * w + (i % w)) * c + Math.floor(i / (h * w)) ? 1 : 0)),
      ).flat(),
      [c * h * w, h, w, c],
    );
    const y = tf.conv2d(onehot, masked, [...conv.stride], conv.padding, "NHWC", [...conv.dilation]).dataSync();
    const [oc, oh, ow] = out.shape;
    for (let i = 0; i < c * h * w; i++) {
      if (reads.keys[i] === undefined) continue;
      for (let r = 0; r < oh; r++)
        for (let q = 0; q < ow; q++)
          for (let o = 0; o < oc; o++) if (y[((i * oh + r) * ow + q) * oc + o] !== 0) edges.push(`${reads.keys[i]}->${conv.name}:${(o * oh + r) * ow + q}`);
    }
  });
  return edges.sort();
}

function edgesInto(graph: ExtractedGraph, layer: string): string[] {
  return graph
    .filterEdges((_e, _a, _s, t) => t.startsWith(`${layer}:`))
    .map((e) => `${graph.source(e)}->${graph.target(e)}`)
    .sort();
}

/** The map each conv of the cells and head reads, by the conv's name, built from the spec's inputs and sinks. */
function convInputs(model: Model): Map<string, { conv: Conv; reads: Map3 }> {
  const cells = model.spec.cells!;
  const [c, h, w] = model.inputShape as unknown as [number, number, number];
  const input: Map3 = { keys: Array.from({ length: c * h * w }, (_, i) => `input:${i}`), shape: [c, h, w] };
  const result = new Map<string, { conv: Conv; reads: Map3 }>();
  const made = new Map<number, Map3>();
  const stack = (layers: readonly FeatureLayerSpec[], reads: Map3): Map3 => {
    let before = reads;
    for (const layer of layers) {
      if (layer.kind === "conv") result.set(layer.name, { conv: layer, reads: before });
      before = mapOf(model, layer.name);
    }
    return before;
  };
  const front = stack(model.spec.features ?? [], input);
  for (const cell of cells.vertices) made.set(cell.vertex, stack(cell.layers, cell.inputs.length === 0 ? front : concatenate(cell.inputs.map((u) => made.get(u)!))));
  const read = new Set(cells.vertices.flatMap((v) => v.inputs));
  stack(cells.head, concatenate(cells.vertices.filter((v) => !read.has(v.vertex)).map((v) => made.get(v.vertex)!)));
  return result;
}

// Maps 13×11 → 7×6 → 4×3 → 2×2: cell 3 reads cells 0 (7×6) and 1 (4×3, padded), the head cells 2 (2×2, padded) and 3 (4×3).
const SOURCES = [
  {
    label: "stride 2, 'same', non-square input",
    source: `cell c = [conv(2, kernel=3, stride=2, padding=same)]
      graph g = edges { 0 -> 1, 1 -> 2, 0 -> 3, 1 -> 3 }
      network N { input [1, 13, 11] structure g cells c head 3 output 2 }`,
  },
  {
    label: "non-square kernel and stride, 'valid', a batch norm in the cell",
    source: `cell c = [conv(2, kernel=[3, 2], stride=[2, 1]), batch_norm()]
      graph g = edges { 5 -> 1, 1 -> 7, 5 -> 7, 5 -> 2 }
      network N { input [2, 11, 6] structure g cells c head 2 output 3 }`,
  },
  {
    label: "feature layers in front, the sources reading their last map",
    source: `cell c = [conv(3, kernel=2, stride=2)]
      graph g = edges { 0 -> 1, 0 -> 2 }
      network N { input [1, 9, 12] features [conv(2, kernel=3, padding=same), max_pool(2)] structure g cells c head 2 output 2 }`,
  },
];

describe.each(SOURCES)("order-0 extraction of a cell network: $label", ({ source }) => {
  it("gives every conv of every cell and of the head exactly its brute-force edges over the concatenated, zero-padded maps", async () => {
    const model = await buildModel(source, { seed: 3 });
    const first = model.spec.cells!.vertices[0]!.layers[0]!.name;
    const mask = model.getMask(first).fill(1);
    mask[1] = 0; // one pruned weight: its uses are no edges
    model.setMask(first, mask);
    const graph = model.extractGraph({ order: 0 });
    const convs = convInputs(model);
    expect(convs.size).toBe(model.spec.cells!.vertices.length + 1 + (model.spec.features ?? []).filter((l) => l.kind === "conv").length);
    for (const [name, { conv, reads }] of convs) {
      const expected = bruteForceEdges(model, conv, reads);
      expect(expected.length).toBeGreaterThan(0);
      expect(edgesInto(graph, name), name).toEqual(expected);
      expect(graph.filterNodes((n) => n.startsWith(`${name}:`)).length).toBe(mapOf(model, name).keys.length);
    }
    // The cells' maps carry their vertex; the head's pooled channels feed the output layer.
    for (const cell of model.spec.cells!.vertices) expect(graph.getNodeAttribute(`${cell.layers[0]!.name}:0`, "vertex")).toBe(cell.vertex);
    const channels = model.features.find((f) => f.name === "head.gap")!.outputShape[0];
    expect(graph.outDegree("head.gap:0")).toBe(model.outputShape[0]);
    expect(graph.filterNodes((n) => n.startsWith("head.gap:")).length).toBe(channels);
    model.dispose();
  });

  it("order 1 merges each map's positions into its channels, each edge counting the order-0 edges between them and their norm", async () => {
    const model = await buildModel(source, { seed: 4 });
    const fine = model.extractGraph({ order: 0 });
    const coarse = model.extractGraph({ order: 1 });
    const channelOf = (key: string): string => {
      const [layer, index] = key.split(":") as [string, string];
      const shape = layer === "input" ? (model.inputShape as unknown as number[]) : model.features.find((f) => f.name === layer)?.outputShape;
      return shape === undefined ? key : `${layer}:${Math.floor(Number(index) / (shape[1]! * shape[2]!))}`;
    };
    const merged = new Map<string, { connections: number; squares: number }>();
    fine.forEachEdge((_e, a, s, t) => {
      const key = `${channelOf(s)}->${channelOf(t)}`;
      const total = merged.get(key) ?? { connections: 0, squares: 0 };
      merged.set(key, { connections: total.connections + 1, squares: total.squares + a.weight! * a.weight! });
    });
    expect(coarse.size).toBe(merged.size);
    for (const [key, { connections, squares }] of merged) {
      const [s, t] = key.split("->") as [string, string];
      const edge = coarse.getEdgeAttributes(coarse.edge(s, t)!);
      expect(edge.connections, key).toBe(connections);
      expect(edge.norm!).toBeCloseTo(Math.sqrt(squares), 5);
    }
    const conv = model.spec.cells!.vertices[0]!.layers[0]!.name;
    const channels = model.features.find((f) => f.name === conv)!.outputShape[0];
    expect(coarse.filterNodes((n) => n.startsWith(`${conv}:`))).toEqual(Array.from({ length: channels }, (_, c) => `${conv}:${c}`));
    model.dispose();
  });
});
