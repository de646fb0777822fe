import { describe, expect, it } from "vitest";
import { createNetwork, tf } from "../../runtime/index.js";
import { prunableWeights } from "../../runtime/pruning/weights.js";
import { convNetwork, errorLines, lstmNetwork, specOf } from "../support/policy-networks.js";

const errors = (source: string): string[] => errorLines(source, { hints: false });
const conv = convNetwork;
const lstm = lstmNetwork;

const CELLS = "cell block = [conv(3, kernel=3, padding=same)]\ngraph g = balanced_tree(2, 1)";
const live = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

describe("prune lines reach conv and recurrent weights", () => {
  it("layers=[…] resolves convs to their weights and recurrent layers to their input and hidden weights", () => {
    expect(specOf(conv("prune one_shot(percent=10, layers=[conv2, output])")).pruning![0]!.blocks).toEqual(["conv2", "dense1->output"]);
    expect(specOf(conv("prune one_shot(percent=10, layers=[conv1])")).pruning![0]!.blocks).toEqual(["conv1"]);
    expect(specOf(lstm("prune gradual(final=0.5, start=1, end=4, every=1, layers=[lstm2, dense1])")).pruning![0]!.blocks).toEqual([
      "lstm2.input",
      "lstm2.hidden",
      "recurrent->dense1",
    ]);
    expect(specOf(lstm("prune one_shot(percent=10)")).pruning![0]!.blocks).toBeUndefined(); // every prunable weight
  });

  it("a one-shot schedule at creation prunes the conv it names and nothing else", async () => {
    const model = await createNetwork(specOf(conv("prune one_shot(percent=50, layers=[conv2])")), { backend: "cpu", seed: 1 });
    const conv2 = model.getMask("conv2");
    expect(live(conv2)).toBe(conv2.length - Math.floor(conv2.length / 2));
    expect(live(model.getMask("conv1"))).toBe(36);
    // Every other weight (conv1's, the dense blocks') stays live: only conv2's pruned half is missing.
    expect(model.liveConnections()).toBe(model.totalConnections() - Math.floor(conv2.length / 2));
    model.dispose();
  });

  it("a gradual schedule without layers brings every conv, recurrent and dense weight together to its sparsity in fit", async () => {
    for (const [source, shape] of [
      [conv("prune gradual(final=0.7, start=1, end=4, every=1)"), [1, 8, 8]],
      [`${CELLS}\nnetwork N { input [1, 6, 6] structure g cells block head 4 dense 5 output 3\n  prune gradual(final=0.7, start=1, end=4, every=1) }`, [1, 6, 6]],
      [lstm("prune gradual(final=0.7, start=1, end=4, every=1)"), [6, 3]],
    ] as const) {
      const model = await createNetwork(specOf(source), { backend: "cpu", seed: 2 });
      const x = tf.randomUniform([16, ...shape], -1, 1, "float32", 5);
      const y = tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 3),
        "int32",
      );
      await model.fit({ x, y }, { epochs: 1, batchSize: 4 });
      const weights = prunableWeights(model);
      const total = weights.reduce((n, w) => n + w.size, 0);
      const remaining = weights.reduce((n, w) => n + live(model.getMask(w.name)), 0);
      expect(remaining).toBe(Math.ceil(0.3 * total - 1e-9));
      for (const w of weights.filter((w) => w.kind !== "dense")) expect(live(model.getMask(w.name))).toBeLessThan(w.size);
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it("takes synflow where it reaches a conv or a recurrent layer, named or by default, as over the dense layers", () => {
    expect(errors(conv("prune one_shot(percent=10, saliency=synflow)"))).toEqual([]);
    expect(errors(lstm("prune one_shot(percent=10, saliency=synflow, layers=[dense1, lstm2])"))).toEqual([]);
    expect(errors(lstm("prune one_shot(percent=10, saliency=synflow)"))).toEqual([]);
    expect(errors(conv("prune one_shot(percent=10, saliency=synflow, layers=[dense1, output])"))).toEqual([]);
    expect(errors(`${CELLS}\nnetwork N { input [1, 6, 6] structure g cells block output 3 prune one_shot(percent=10, saliency=synflow) }`)).toEqual([]);
    expect(errors(lstm("prune one_shot(percent=10, layers=[lstm3])"))[0]).toContain("DS2027");
  });
});
