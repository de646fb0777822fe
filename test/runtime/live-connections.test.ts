import { describe, expect, it } from "vitest";
import { tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

/** Ones of a mask, counted here from getMask, not by the code under test. */
const ones = (model: Model, name: string): number => Array.from(model.getMask(name)).filter((m) => m === 1).length;

/** Switches off every `step`-th entry of a weight's mask; returns how many it switched off. */
function prune(model: Model, name: string, step: number): number {
  const mask = model.getMask(name);
  let off = 0;
  for (let i = 0; i < mask.length; i += step) {
    off += mask[i]!;
    mask[i] = 0;
  }
  model.setMask(name, mask);
  return off;
}

describe("liveConnections counts every prunable weight", () => {
  it("a conv network: its convs' live weights with the dense blocks', per kind, and every mask entry as the total", async () => {
    const model = await buildModel("network C { input [2, 6, 5] features [conv(3, kernel=3), max_pool(2), conv(4, kernel=[2, 1])] dense 5 output 3 }", { seed: 1 });
    const dense = model.blocks.reduce((sum, b) => sum + b.sourceSize * b.targetSize, 0);
    const conv = 3 * 3 * 2 * 3 + 2 * 1 * 3 * 4;
    expect(model.totalConnections()).toBe(conv + dense);
    expect(model.liveConnections()).toBe(conv + dense);
    const off = prune(model, "conv1", 4) + prune(model, "conv2", 3) + prune(model, "dense1->output", 2);
    expect(model.liveConnections("conv1")).toBe(ones(model, "conv1"));
    expect(model.liveConnections("conv2")).toBe(ones(model, "conv2"));
    expect(model.liveConnections()).toBe(conv + dense - off);
    expect(model.liveConnectionsByKind()).toEqual({
      conv: ones(model, "conv1") + ones(model, "conv2"),
      dense: model.liveConnections("features->dense1") + model.liveConnections("dense1->output"),
    });
    expect(model.totalConnections()).toBe(conv + dense);
    expect(model.summary().totals.connections).toBe(model.liveConnections());
    expect(() => model.liveConnections("conv3")).toThrow("C.liveConnections: unknown weight 'conv3'; weights are 'conv1', 'conv2', 'features->dense1', 'dense1->output'");
    model.dispose();
  });

  it("a recurrent network made from a graph: both weights of every layer, the hidden one as sparse as the graph", async () => {
    const model = await buildModel("graph g = watts_strogatz(10, 2, 0.2, seed=3)\nnetwork R { input [4, 3] recurrent lstm(hidden=[g, 4]) output 2 }", { seed: 2 });
    const names = ["lstm1.input", "lstm1.hidden", "lstm2.input", "lstm2.hidden"];
    const recurrent = names.reduce((sum, n) => sum + ones(model, n), 0);
    expect(ones(model, "lstm1.hidden")).toBe(4 * 2 * 10); // 10 edges of a ring of degree 2, both ways, in each of 4 gates
    expect(model.liveConnections("lstm1.hidden")).toBe(80);
    expect(model.liveConnectionsByKind()).toEqual({ recurrent, dense: 4 * 2 });
    expect(model.liveConnections()).toBe(recurrent + 8);
    expect(model.totalConnections()).toBe(4 * (3 * 10 + 10 * 10 + 10 * 4 + 4 * 4) + 8);
    model.dispose();
  });

  it("a cell network: every cell's and the head's convs", async () => {
    const model = await buildModel(
      "cell c = [conv(2, kernel=3, padding=same)]\ngraph g = edges { 0 -> 1, 0 -> 2, 1 -> 2 }\nnetwork N { input [1, 5, 4] structure g cells c head 3 output 2 }",
      { seed: 3 },
    );
    // cell0 reads the input (1 channel), cell1 cell0 (2), cell2 cells 0 and 1 (4); the head's 1×1 conv reads cell2 (2) into 3.
    const conv = 9 * 1 * 2 + 9 * 2 * 2 + 9 * 4 * 2 + 2 * 3;
    expect(model.liveConnectionsByKind()).toEqual({ conv, dense: 3 * 2 });
    const off = prune(model, "cell2.conv1", 5);
    expect(model.liveConnections()).toBe(conv + 6 - off);
    model.dispose();
  });
});

describe("the epoch logs", () => {
  it("count every prunable weight after the epoch, split by kind, with the sparsity over all of them", async () => {
    const model = await buildModel("network C { input [1, 4, 4] features [conv(2, kernel=3)] dense 3 output 2 }", { seed: 4 });
    prune(model, "conv1", 3);
    prune(model, "features->dense1", 7);
    const x = tf.randomNormal([12, 16], 0, 1, "float32", 5);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0], "int32"), 2);
    const history = await model.fit({ x, y }, { epochs: 1, batchSize: 4, seed: 1 });
    const [logs] = history.epochs;
    const conv = ones(model, "conv1");
    const dense = model.blocks.reduce((sum, b) => sum + ones(model, b.name), 0);
    expect(logs!.liveByKind).toEqual({ conv, dense });
    expect(logs!.liveConnections).toBe(conv + dense);
    expect(logs!.totalConnections).toBe(18 + 8 * 3 + 3 * 2);
    expect(logs!.sparsity).toBeCloseTo(1 - (conv + dense) / 48, 12);
    tf.dispose([x, y]);
    model.dispose();
  });
});
