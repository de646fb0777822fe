import { describe, expect, it } from "vitest";
import { createNetwork, tf } from "../../runtime/index.js";
import { prunableWeights } from "../../runtime/pruning/weights.js";
import { convNetwork, errorLines, lstmNetwork, specOf } from "../support/policy-networks.js";

const errors = (source: string): string[] => errorLines(source, { hints: true });
const conv = convNetwork;
const lstm = lstmNetwork;

const CELLS = "cell block = [conv(3, kernel=3, padding=same), conv(2, kernel=1)]\ngraph g = balanced_tree(2, 1)";
const cells = (line: string): string => `${CELLS}\nnetwork N { input [1, 6, 6] structure g cells block head 4 dense 5 output 3\n  ${line} }`;

const live = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

describe("unit= in prune schedules, and layers=[…] naming a cell's conv or a recurrent weight", () => {
  it("carries the unit in the spec (left out when it is weight) and resolves dotted names to those weights", () => {
    expect(specOf(conv("prune one_shot(percent=10)")).pruning![0]).not.toHaveProperty("unit");
    expect(specOf(conv("prune one_shot(percent=10, unit=weight)")).pruning![0]).not.toHaveProperty("unit");
    expect(specOf(conv("prune one_shot(percent=10, unit=channel, layers=[conv2])")).pruning![0]).toMatchObject({ unit: "channel", blocks: ["conv2"] });
    expect(specOf(conv("prune iterative(percent=20, every=1, target=0.5, unit=kernel)")).pruning![0]).toMatchObject({ unit: "kernel" });
    expect(specOf(conv("prune iterative(percent=20, every=1, target=0.5, unit=kernel)")).pruning![0]).not.toHaveProperty("blocks");
    expect(specOf(cells("prune one_shot(percent=10, layers=[cell1.conv2, head.conv])")).pruning![0]!.blocks).toEqual(["cell1.conv2", "head.conv"]);
    expect(specOf(lstm("prune gradual(final=0.5, start=1, end=4, unit=neuron, layers=[lstm1.hidden, lstm2, output])")).pruning![0]).toMatchObject({
      unit: "neuron",
      blocks: ["lstm1.hidden", "lstm2.input", "lstm2.hidden", "dense1->output"],
    });
  });

  it("reports a unit that does not fit a named layer at that name, with a hint, and one that fits nothing at the unit", () => {
    expect(errors(conv("prune one_shot(percent=10, unit=channel, layers=[conv1, dense1])"))).toEqual([
      "p.ds:6:59: error DS2005: 'unit=channel' expects conv layers, but got dense layer or graph 'dense1'",
      "hint: channels are units of convs: name conv layers in layers=[…], or take unit=neuron for dense and recurrent layers",
    ]);
    expect(errors(lstm("prune one_shot(percent=10, unit=kernel, layers=[lstm1.input])"))).toEqual([
      "p.ds:6:51: error DS2005: 'unit=kernel' expects conv layers, but got recurrent weight 'lstm1.input'",
      "hint: kernels are units of convs: name conv layers in layers=[…], or take unit=neuron for dense and recurrent layers",
    ]);
    expect(errors(cells("prune one_shot(percent=10, unit=neuron, layers=[output, cell0.conv1])"))).toEqual([
      "p.ds:4:59: error DS2005: 'unit=neuron' expects dense layers or recurrent layers, but got conv layer 'cell0.conv1'",
      "hint: neurons are units of dense and recurrent layers: name those in layers=[…], or take unit=channel or unit=kernel for convs",
    ]);
    expect(errors(lstm("prune gradual(final=0.5, start=1, end=4, unit=channel)"))).toEqual([
      "p.ds:6:44: error DS2005: 'unit=channel' expects a network with conv layers, but got network 'R', which has none",
      "hint: channels are units of convs: name conv layers in layers=[…], or take unit=neuron for dense and recurrent layers",
    ]);
    expect(errors(conv("prune one_shot(percent=10, unit=filter)"))[0]).toBe(
      "p.ds:6:35: error DS2005: 'unit' expects one of weight, kernel, channel, neuron, gate, layer, but got the name 'filter'",
    );
    // A dotted name needs a name after each dot.
    expect(errors(lstm("prune one_shot(percent=10, layers=[lstm1.])"))[0]).toBe("p.ds:6:44: error DS1002: expected a name but found ']'");
    // An unknown name is the unknown-layer error, whatever the unit.
    expect(errors(lstm("prune one_shot(percent=10, unit=neuron, layers=[lstm3.hidden])"))[0]).toContain("DS2027: network 'R' has no layer 'lstm3.hidden'");
  });

  it("a one-shot channel schedule at creation prunes whole filters of the cell conv it names, and nothing else", async () => {
    const model = await createNetwork(specOf(cells("prune one_shot(percent=50, unit=channel, layers=[cell1.conv1])")), { backend: "cpu", seed: 3 });
    const mask = model.getMask("cell1.conv1");
    const deadChannels = [0, 1, 2].filter((c) => mask.every((m, i) => i % 3 !== c || m === 0));
    expect(deadChannels).toHaveLength(1);
    expect(live(mask)).toBe((mask.length * 2) / 3);
    for (const w of prunableWeights(model)) if (w.name !== "cell1.conv1") expect(live(model.getMask(w.name))).toBe(w.size);
    model.dispose();
  });

  it("a gradual neuron schedule brings the share of pruned neurons, counted in units, to its final sparsity in fit", async () => {
    const model = await createNetwork(specOf(lstm("prune gradual(final=0.6, start=1, end=3, every=1, unit=neuron)")), { backend: "cpu", seed: 4 });
    const x = tf.randomUniform([12, 6, 3], -1, 1, "float32", 5);
    const y = tf.tensor1d(
      Array.from({ length: 12 }, (_, i) => i % 3),
      "int32",
    );
    await model.fit({ x, y }, { epochs: 1, batchSize: 4 });
    // Neurons: lstm1 8, lstm2 5, dense1 4, output 3 = 20; 40% of them (8) stay live, each live one whole.
    let liveNeurons = 0;
    for (const layer of ["lstm1", "lstm2", "dense1", "output"]) {
      const weights = prunableWeights(model).filter((w) => w.layer === layer);
      const neurons = weights[0]!.neurons;
      for (let n = 0; n < neurons; n++) {
        const states = new Set(weights.flatMap((w) => Array.from(model.getMask(w.name)).filter((_, i) => i % neurons === n)));
        expect(states.size).toBe(1);
        if (states.has(1)) liveNeurons++;
      }
    }
    expect(liveNeurons).toBe(8);
    tf.dispose([x, y]);
    model.dispose();
  });
});
