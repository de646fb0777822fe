/** `grow` lines over conv and recurrent layers: what `layers=[…]` resolves to, what the network starts with, and misspelt names. */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/index.js";
import { formatDiagnostic } from "../../src/diagnostics/format.js";
import { createNetwork } from "../../runtime/index.js";
import { convNetwork, lstmNetwork, specOf } from "../support/policy-networks.js";

const conv = convNetwork;
const lstm = lstmNetwork;

function diagnosticsOf(source: string): { text: string[]; hints: (string | undefined)[] } {
  const { diagnostics } = analyze(source, { fileName: "g.ds" });
  const errors = diagnostics.filter((d) => d.severity === "error");
  return { text: errors.map((d) => formatDiagnostic(d, source).split("\n")[0]!), hints: errors.map((d) => d.hint) };
}

const live = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

describe("grow lines reach conv and recurrent weights", () => {
  it("layers=[…] resolves a conv to its weight and a recurrent layer to its input and hidden weights", () => {
    expect(specOf(conv("grow rigl(sparsity=0.8, stop=10, layers=[conv2, output])")).growth!.blocks).toEqual(["conv2", "dense1->output"]);
    expect(specOf(conv("grow set(sparsity=0.8, stop=10, layers=[conv1])")).growth!.blocks).toEqual(["conv1"]);
    expect(specOf(lstm("grow rigl(sparsity=0.5, stop=10, layers=[lstm2, dense1])")).growth!.blocks).toEqual(["lstm2.input", "lstm2.hidden", "recurrent->dense1"]);
    expect(specOf(lstm("grow rigl(sparsity=0.5, stop=10)")).growth!.blocks).toBeUndefined(); // every prunable weight
  });

  it("a network with grow and no layers starts every conv, recurrent and dense weight at the sparsity", async () => {
    for (const source of [conv("grow rigl(sparsity=0.75, stop=10)"), lstm("grow set(sparsity=0.75, stop=10)")]) {
      const model = await createNetwork(specOf(source), { backend: "cpu", seed: 1 });
      const names = [
        ...model.features.filter((f) => f.kind === "conv").map((f) => f.name),
        ...model.recurrent.flatMap((r) => r.masks.map((m) => m.name)),
        ...model.blocks.map((b) => b.name),
      ];
      expect(names.length).toBeGreaterThan(2);
      for (const name of names) {
        const mask = model.getMask(name);
        expect(live(mask)).toBe(Math.round(0.25 * mask.length));
      }
      model.dispose();
    }
  });

  it("refuses a misspelt or unknown layer at its list, suggesting the closest name", () => {
    const misspelt = diagnosticsOf(conv("grow rigl(sparsity=0.8, stop=10, layers=[cnv2])"));
    expect(misspelt.text).toEqual(["g.ds:6:43: error DS2027: network 'C' has no layer 'cnv2'"]);
    expect(misspelt.hints).toEqual(["did you mean 'conv2'?"]);
    const recurrent = diagnosticsOf(lstm("grow set(sparsity=0.8, stop=10, layers=[lstm3])"));
    expect(recurrent.text).toEqual(["g.ds:6:42: error DS2027: network 'R' has no layer 'lstm3'"]);
    expect(recurrent.hints).toEqual(["did you mean 'lstm1'?"]);
    const far = diagnosticsOf(lstm("grow set(sparsity=0.8, stop=10, layers=[wholly_unrelated])"));
    expect(far.hints).toEqual(["its layers are dense1, output, lstm1, lstm2"]);
  });
});
