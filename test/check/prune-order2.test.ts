import { describe, expect, it } from "vitest";
import { analyzeDocument } from "../../src/lsp/analysis.js";
import { hover } from "../../src/lsp/hover.js";
import { createNetwork, tf } from "../../runtime/index.js";
import { prunableWeights } from "../../runtime/pruning/weights.js";
import { convNetwork, errorLines, lstmNetwork, specOf } from "../support/policy-networks.js";

const errors = (source: string): string[] => errorLines(source, { hints: true });
const conv = (line: string): string => convNetwork(line, "conv(4, kernel=3), max_pool(2)");
const lstm = lstmNetwork;

const live = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);
const GATE_HINT = "hint: gates are units of recurrent layers (rnn, gru, lstm): name those in layers=[…], or take unit=neuron for dense layers or unit=channel for convs";

describe("unit=gate and unit=layer on prune lines", () => {
  it("carry the unit in the spec, resolving a recurrent layer to both its weights", () => {
    expect(specOf(lstm("prune one_shot(percent=25, unit=gate, layers=[lstm2])")).pruning![0]).toMatchObject({ unit: "gate", blocks: ["lstm2.input", "lstm2.hidden"] });
    expect(specOf(lstm("prune gradual(final=0.5, start=1, end=4, unit=layer)")).pruning![0]).toMatchObject({ unit: "layer" });
    expect(specOf(conv("prune one_shot(percent=50, unit=layer, layers=[conv1, dense1])")).pruning![0]).toMatchObject({ unit: "layer", blocks: ["conv1", "features->dense1"] });
  });

  it("reports unit=gate naming a dense or conv layer at that name, one that fits nothing at the unit, and unit=layer with scope=layer at the scope", () => {
    expect(errors(lstm("prune one_shot(percent=10, unit=gate, layers=[lstm1, dense1])"))).toEqual([
      "p.ds:6:56: error DS2005: 'unit=gate' expects recurrent layers, but got dense layer or graph 'dense1'",
      GATE_HINT,
    ]);
    expect(errors(conv("prune one_shot(percent=10, unit=gate, layers=[conv1])"))).toEqual([
      "p.ds:6:49: error DS2005: 'unit=gate' expects recurrent layers, but got conv layer 'conv1'",
      GATE_HINT,
    ]);
    expect(errors(conv("prune iterative(percent=20, every=1, target=0.5, unit=gate)"))).toEqual([
      "p.ds:6:52: error DS2005: 'unit=gate' expects a network with recurrent layers, but got network 'C', which has none",
      GATE_HINT,
    ]);
    expect(errors(lstm("prune one_shot(percent=50, unit=layer, scope=layer)"))).toEqual([
      "p.ds:6:42: error DS2006: 'scope' must be global with unit=layer (layers are ranked against each other), but is layer",
      "hint: ",
    ]);
    // unit=layer fits every kind of weight: nothing to report.
    expect(errors(conv("prune one_shot(percent=50, unit=layer, layers=[conv1, output])"))).toEqual([]);
  });

  it("a one-shot gate schedule at creation prunes the share of gates it asks, counted in gates, each whole", async () => {
    const model = await createNetwork(specOf(lstm("prune one_shot(percent=50, unit=gate)")), { backend: "cpu", seed: 5 });
    // 4 gates in each of lstm1 (hidden 8) and lstm2 (hidden 5): 4 of the 8 go.
    let dead = 0;
    for (const [layer, hidden] of [
      ["lstm1", 8],
      ["lstm2", 5],
    ] as const) {
      const weights = prunableWeights(model).filter((w) => w.layer === layer);
      for (let g = 0; g < 4; g++) {
        const states = new Set(weights.flatMap((w) => Array.from(model.getMask(w.name)).filter((_, i) => Math.floor((i % (4 * hidden)) / hidden) === g)));
        expect(states.size).toBe(1);
        if (states.has(0)) dead++;
      }
    }
    expect(dead).toBe(4);
    for (const w of prunableWeights(model).filter((w) => w.kind === "dense")) expect(live(model.getMask(w.name))).toBe(w.size);
    model.dispose();
  });

  it("a gradual layer schedule brings the share of pruned layers to its final sparsity in fit", async () => {
    const model = await createNetwork(specOf(lstm("prune gradual(final=0.5, start=1, end=3, every=1, unit=layer)")), { backend: "cpu", seed: 6 });
    const x = tf.randomUniform([12, 6, 3], -1, 1, "float32", 7);
    const y = tf.tensor1d(
      Array.from({ length: 12 }, (_, i) => i % 3),
      "int32",
    );
    await model.fit({ x, y }, { epochs: 1, batchSize: 4 });
    // Layers lstm1, lstm2, dense1, output: 2 of the 4 pruned whole, the others untouched.
    const states = ["lstm1", "lstm2", "dense1", "output"].map((layer) => {
      const weights = prunableWeights(model).filter((w) => w.layer === layer);
      const liveEntries = weights.reduce((n, w) => n + live(model.getMask(w.name)), 0);
      return liveEntries === 0 ? "dead" : liveEntries === weights.reduce((n, w) => n + w.size, 0) ? "whole" : "partial";
    });
    expect(states.filter((s) => s === "dead")).toHaveLength(2);
    expect(states.filter((s) => s === "whole")).toHaveLength(2);
    tf.dispose([x, y]);
    model.dispose();
  });

  it("the language server's hover on unit= lists the units, order 2 among them", () => {
    const text = lstm("prune one_shot(percent=50, unit=gate)");
    const contents = JSON.stringify(hover(analyzeDocument(text, "untitled:p.ds"), text.indexOf("unit=")));
    expect(contents).toContain('unit: choice weight | kernel | channel | neuron | gate | layer, default \\"weight\\"');
  });
});
