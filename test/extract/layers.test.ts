import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { extractLayersGraph, tf, useBackend } from "../../runtime/index.js";

beforeAll(async () => {
  await useBackend("cpu");
});

/** Sets every weight of a layer to 1, so each connection shows up as an edge. */
function ones(layer: tfl.layers.Layer): void {
  layer.setWeights(layer.getWeights().map((w) => tf.onesLike(w)));
}

/** Brute force: for output (oh, ow), the input positions its receptive field covers, by the definition of a convolution. */
function receptiveField(oh: number, ow: number, o: { in: number; k: number; s: number; d: number; pad: number }): string[] {
  const cells: string[] = [];
  for (let i = 0; i < o.k; i++) {
    for (let j = 0; j < o.k; j++) {
      const [h, w] = [oh * o.s - o.pad + i * o.d, ow * o.s - o.pad + j * o.d];
      if (h >= 0 && h < o.in && w >= 0 && w < o.in) cells.push(`${h},${w}`);
    }
  }
  return cells.sort();
}

describe("extraction from TensorFlow.js Layers models", () => {
  it("Dense: one edge per weight above the threshold", () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4], useBias: false })] });
    const kernel = [0.5, 0, -2, 0.01, 1, 0, 0, 0, 3, -0.2, 0, 0];
    model.layers[0]!.setWeights([tf.tensor2d(kernel, [4, 3])]);
    const { graph, warnings } = extractLayersGraph(model, { threshold: 0.1 });
    expect(warnings).toEqual([]);
    const edges = graph.mapEdges((_e, a, s, t) => `${s}->${t}:${a.weight}`).sort();
    expect(edges).toEqual(
      ["input:0->dense_Dense1:0:0.5", "input:0->dense_Dense1:2:-2", "input:1->dense_Dense1:1:1", "input:2->dense_Dense1:2:3", "input:3->dense_Dense1:0:-0.20000000298023224"]
        .map((e) => e.replace("dense_Dense1", model.layers[0]!.name))
        .sort(),
    );
    expect(graph.getNodeAttributes(`${model.layers[0]!.name}:2`)).toMatchObject({ kind: "output", index: 2 });
  });

  it.each([
    { k: 3, s: 1, d: 1, padding: "valid" },
    { k: 3, s: 2, d: 1, padding: "valid" },
    { k: 3, s: 1, d: 1, padding: "same" },
    { k: 3, s: 2, d: 1, padding: "same" },
    { k: 2, s: 1, d: 2, padding: "valid" },
    { k: 3, s: 1, d: 2, padding: "same" },
  ] as const)("Conv2D k=$k stride=$s dilation=$d padding=$padding: each output's inputs are its receptive field", ({ k, s, d, padding }) => {
    const size = 7;
    const conv = tfl.layers.conv2d({ filters: 1, kernelSize: k, strides: s, dilationRate: d, padding, useBias: false, inputShape: [size, size, 1] });
    const model = tfl.sequential({ layers: [conv] });
    ones(conv);
    const { graph } = extractLayersGraph(model);
    const [, outH, outW] = conv.outputShape as number[];
    const span = (k - 1) * d + 1;
    const pad = padding === "same" ? Math.floor(Math.max((outH! - 1) * s + span - size, 0) / 2) : 0;
    let total = 0;
    for (let oh = 0; oh < outH!; oh++) {
      for (let ow = 0; ow < outW!; ow++) {
        const node = `${conv.name}:${oh * outW! + ow}`;
        const inputs = graph.inNeighbors(node).map((key) => {
          const index = Number(key.split(":")[1]);
          return `${Math.floor(index / size)},${index % size}`;
        });
        expect(inputs.sort()).toEqual(receptiveField(oh, ow, { in: size, k, s, d, pad }));
        total += inputs.length;
      }
    }
    expect(graph.size).toBe(total);
  });

  it("Conv2D across channels, then Flatten and Dense; a pooling layer is named in a warning, not dropped silently", () => {
    const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [3, 3, 2], useBias: false });
    const pool = tfl.layers.maxPooling2d({ poolSize: 2 });
    const dense = tfl.layers.dense({ units: 2, useBias: false });
    const model = tfl.sequential({ layers: [conv, pool, tfl.layers.flatten(), dense] });
    ones(conv);
    ones(dense);
    const { graph, warnings } = extractLayersGraph(model);
    // conv: 2×2 outputs × 2 filters, each reading 2×2×2 inputs.
    expect(graph.outDegree("input:0")).toBe(2); // (0,0,c0) is only in output (0,0)'s field, for both filters
    expect(graph.inDegree(`${conv.name}:0`)).toBe(8);
    expect(warnings).toEqual([`layer '${pool.name}' (MaxPooling2D) is not supported by extraction; its outputs have no incoming edges`]);
    expect(graph.inDegree(`${dense.name}:0`)).toBe(2); // flatten of the 1×1×2 pool output
    expect(graph.inDegree(`${pool.name}:0`)).toBe(0);
  });
});
