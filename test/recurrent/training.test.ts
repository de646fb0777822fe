import { describe, expect, it } from "vitest";
import { exportWeights, importWeights, tf } from "../../runtime/index.js";
import { analyze } from "../../src/index.js";
import { formatDiagnostic } from "../../src/diagnostics/format.js";
import { emitPytorch } from "../../src/emit-pytorch/index.js";
import { buildModel } from "../support/models.js";

const SOURCE = "network R { input [6, 3] recurrent lstm(hidden=[8, 5]) dense 4 output 3 }";

function errors(source: string): string[] {
  const { diagnostics } = analyze(source, { fileName: "r.ds" });
  return diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d, source).split("\n")[0]!);
}

describe("training and files of recurrent networks", () => {
  it("trains through fit, pruned recurrent weights staying exactly 0 while live ones move", async () => {
    const model = await buildModel(SOURCE, { seed: 4 });
    const mask = Uint8Array.from({ length: 5 * 20 }, (_, i) => (i % 4 === 0 ? 0 : 1));
    model.setMask("lstm2.hidden", mask);
    const weight = model.parameters.find((p) => p.name === "lstm2.hiddenWeight")!.variable;
    const before = weight.dataSync().slice();
    const x = tf.randomNormal([32, 6, 3], 0, 1, "float32", 3);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 32 }, (_, i) => i % 3),
        "int32",
      ),
      3,
    );
    const history = await model.fit({ x, y }, { epochs: 3, batchSize: 8, learningRate: 0.01, seed: 1 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    const after = weight.dataSync();
    let moved = 0;
    mask.forEach((live, k) => {
      if (live === 0) expect(Math.abs(after[k]!)).toBe(0);
      else if (after[k] !== before[k]) moved++;
    });
    expect(moved).toBe(mask.reduce((a, b) => a + b, 0));
    tf.dispose([x, y]);
    model.dispose();
  });

  it("saves weights and masks and loads them into a fresh model that predicts identically", async () => {
    const saved = await buildModel(SOURCE, { seed: 1 });
    const mask = Uint8Array.from({ length: 3 * 32 }, (_, i) => (i % 5 === 2 ? 0 : 1));
    saved.setMask("lstm1.input", mask);
    const { modelJson, weightData } = await exportWeights(saved);
    const names = modelJson.weightsManifest[0]!.weights.map((w) => `${w.name}:${w.dtype}`);
    expect(names.filter((n) => n.startsWith("lstm"))).toEqual([
      "lstm1.inputWeight:float32",
      "lstm1.hiddenWeight:float32",
      "lstm1.bias:float32",
      "lstm2.inputWeight:float32",
      "lstm2.hiddenWeight:float32",
      "lstm2.bias:float32",
      "lstm1.input.mask:bool",
      "lstm1.hidden.mask:bool",
      "lstm2.input.mask:bool",
      "lstm2.hidden.mask:bool",
    ]);
    const loaded = await buildModel(SOURCE, { seed: 9 });
    const x = tf.randomNormal([4, 6, 3], 0, 1, "float32", 2);
    expect(Array.from(loaded.predict(x).dataSync())).not.toEqual(Array.from(saved.predict(x).dataSync()));
    await importWeights(loaded, JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(Array.from(loaded.getMask("lstm1.input"))).toEqual(Array.from(mask));
    expect(Array.from(loaded.predict(x).dataSync())).toEqual(Array.from(saved.predict(x).dataSync()));
    tf.dispose(x);
    saved.dispose();
    loaded.dispose();
  });

  it("checks masks at the boundary and refuses inputs of the wrong shape", async () => {
    const model = await buildModel(SOURCE, { seed: 1 });
    expect(() => model.setMask("lstm1.hidden", new Uint8Array(8 * 32).fill(2))).toThrow("R.setMask: recurrent weight 'lstm1.hidden' entry 0 is 2; a mask holds only 0 and 1");
    expect(() => model.setMask("lstm1.hidden", new Uint8Array(3))).toThrow("expects 256 entries ([8, 32]), got 3");
    expect(model.summary().rows.find((r) => r.layer === "recurrent")).toMatchObject({ kind: "input", shape: [5], size: 5 });
    const wrong = tf.zeros([2, 5, 3]);
    expect(() => model.predict(wrong)).toThrow("R.predict: expected input of shape [batch, 6, 3] or [batch, 18], got [2, 5, 3]");
    wrong.dispose();
    model.dispose();
  });

  it("reports bad recurrent settings where they are written", () => {
    expect(errors("network R { input [6, 3] recurrent lstm(hidden=[]) output 2 }")).toEqual([
      "r.ds:1:41: error DS2005: 'hidden' expects one hidden size or a list of them, one per layer, but got an empty list",
    ]);
    expect(errors("network R { input [6, 3] recurrent gru(hidden=4, activation=relu) output 2 }")[0]).toMatch(/^r\.ds:1:50: error/);
    expect(errors("network R { input [6, 3] recurrent rnn(hidden=4, output=first) output 2 }")[0]).toMatch(/^r\.ds:1:\d+: error DS20\d\d: .*first/);
    expect(errors("network R { input [6, 3] recurrent 4 output 2 }")).toEqual([
      "r.ds:1:36: error DS2005: 'recurrent' expects a call such as lstm(hidden=[100, 100]), gru(hidden=64) or rnn(hidden=32), but got 4",
    ]);
  });

  it("is emitted by the PyTorch target as its recurrent stack before the dense layers", () => {
    const { plans } = analyze(SOURCE);
    expect(emitPytorch(plans!)).toContain("v0 = self.recurrent(x.reshape(x.shape[0], ");
  });
});
