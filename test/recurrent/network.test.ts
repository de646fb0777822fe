import { describe, expect, it } from "vitest";
import { exportWeights, importWeights, tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";
import { referenceForward, type ReferenceNetwork } from "./reference.js";

type Kind = "rnn" | "gru" | "lstm";

function variable(model: Model, name: string): tf.Variable {
  const found = model.parameters.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no parameter ${name}`);
  return found.variable;
}

const sourceOf = (call: string, steps: number, features: number, outputs: number): string => `network R { input [${steps}, ${features}] recurrent ${call} output ${outputs} }`;

/** Every second-or-third weight masked, the same pattern each run. */
function patternMask(size: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => ((i * 7 + salt) % 3 === 0 ? 0 : 1));
}

function applyPatternMasks(model: Model): void {
  model.recurrent.forEach((layer, l) => layer.masks.forEach((m, k) => model.setMask(m.name, patternMask(m.shape[0] * m.shape[1], l * 2 + k))));
}

/** The model's current parameters (already zero under masks) as the float64 reference reads them. */
function referenceOf(model: Model, kind: Kind, activation: "tanh" | "relu"): ReferenceNetwork {
  const f64 = (name: string): Float64Array => Float64Array.from(variable(model, name).dataSync());
  return {
    kind,
    activation,
    layers: model.recurrent.map((l) => ({ inputs: l.inputs, hidden: l.hidden, w: f64(`${l.name}.inputWeight`), u: f64(`${l.name}.hiddenWeight`), b: f64(`${l.name}.bias`) })),
    out: Float64Array.from(model.getWeights("recurrent->output")),
    outBias: Float64Array.from(model.getBias("output")),
  };
}

const CASES: readonly { kind: Kind; call: string; activation: "tanh" | "relu" }[] = [
  { kind: "rnn", call: "rnn(hidden=[5, 4])", activation: "tanh" },
  { kind: "rnn", call: "rnn(hidden=[5, 4], activation=relu)", activation: "relu" },
  { kind: "gru", call: "gru(hidden=[5, 4])", activation: "tanh" },
  { kind: "lstm", call: "lstm(hidden=[5, 4])", activation: "tanh" },
];

describe("recurrent layers in a network", () => {
  it("names the layers, parameters and mask blocks per kind, gates side by side", async () => {
    const model = await buildModel(sourceOf("gru(hidden=[6, 3])", 4, 2, 2), { seed: 1 });
    expect(model.recurrent.map((r) => [r.name, r.kind, r.inputs, r.hidden, r.gates])).toEqual([
      ["gru1", "gru", 2, 6, 3],
      ["gru2", "gru", 6, 3, 3],
    ]);
    expect(model.recurrent[1]!.masks).toEqual([
      { name: "gru2.input", shape: [6, 9] },
      { name: "gru2.hidden", shape: [3, 9] },
    ]);
    expect(model.parameters.map((p) => `${p.name}:${p.variable.shape.join("x")}`)).toEqual([
      "gru1.inputWeight:2x18",
      "gru1.hiddenWeight:6x18",
      "gru1.bias:18",
      "gru2.inputWeight:6x9",
      "gru2.hiddenWeight:3x9",
      "gru2.bias:9",
      "output.weight:3x2",
      "output.bias:2",
    ]);
    expect(model.layers[0]).toMatchObject({ name: "recurrent", size: 3 });
    model.dispose();
  });

  for (const kind of ["rnn", "gru", "lstm"] as const) {
    it(`a [100, 100, 12] ${kind} stack gives [15, 12] for a [15, 18, 20] batch`, async () => {
      const model = await buildModel(sourceOf(`${kind}(hidden=[100, 100, 12])`, 18, 20, 3), { seed: 0 });
      const x = tf.randomNormal([15, 18, 20], 0, 1, "float32", 4);
      const { recurrent } = model.activations(x, ["recurrent"]);
      expect(recurrent!.shape).toEqual([15, 12]);
      const y = model.predict(x);
      expect(y.shape).toEqual([15, 3]);
      tf.dispose([x, y, recurrent!]);
      model.dispose();
    });
  }

  it("puts out every step's hidden state with output=all, step-major, the last step's being what output=last gives", async () => {
    const all = await buildModel(sourceOf("lstm(hidden=[3], output=all)", 5, 2, 2), { seed: 2 });
    const last = await buildModel(sourceOf("lstm(hidden=[3])", 5, 2, 2), { seed: 2 });
    expect(all.layers[0]!.size).toBe(15);
    const x = tf.randomNormal([4, 5, 2], 0, 1, "float32", 1);
    const every = all.activations(x, ["recurrent"]).recurrent!;
    const final = last.activations(x, ["recurrent"]).recurrent!;
    const tail = tf.slice(every, [0, 12], [4, 3]);
    expect(Array.from(tail.dataSync())).toEqual(Array.from(final.dataSync()));
    tf.dispose([x, every, final, tail]);
    all.dispose();
    last.dispose();
  });

  for (const c of CASES) {
    it(`${c.call}: the forward pass matches a float64 reference, with masks on both weights`, async () => {
      const model = await buildModel(sourceOf(c.call, 6, 3, 2), { seed: 5 });
      applyPatternMasks(model);
      const x = tf.randomNormal([3, 6, 3], 0, 1, "float32", 7);
      const y = model.predict(x).dataSync();
      const reference = referenceOf(model, c.kind, c.activation);
      const xs = x.dataSync();
      for (let s = 0; s < 3; s++) {
        const expected = referenceForward(reference, xs.subarray(s * 18, (s + 1) * 18), 6);
        expected.forEach((e, k) => expect(Math.abs(y[s * 2 + k]! - e)).toBeLessThan(1e-5));
      }
      tf.dispose(x);
      model.dispose();
    });

    it(`${c.call}: gradients match finite differences of the reference, and masked weights get exactly 0`, async () => {
      const model = await buildModel(sourceOf(c.call, 5, 2, 2), { seed: 3 });
      applyPatternMasks(model);
      const x = tf.randomNormal([2, 5, 2], 0, 1, "float32", 9);
      const xs = Float64Array.from(x.dataSync());
      const names = model.recurrent.flatMap((l) => [`${l.name}.inputWeight`, `${l.name}.hiddenWeight`, `${l.name}.bias`]);
      const { grads } = tf.variableGrads(
        () => tf.sum(model.predict(x)) as tf.Scalar,
        names.map((n) => variable(model, n)),
      );
      const loss = (net: ReferenceNetwork): number => [0, 1].reduce((sum, s) => sum + referenceForward(net, xs.subarray(s * 10, (s + 1) * 10), 5).reduce((a, b) => a + b, 0), 0);
      const base = referenceOf(model, c.kind, c.activation);
      const masks = new Map(model.recurrent.flatMap((l) => l.masks.map((m) => [m.name, model.getMask(m.name)] as const)));
      let checked = 0;
      names.forEach((name, p) => {
        const gradient = grads[variable(model, name).name]!.dataSync();
        const [layerName, what] = name.split(".") as [string, string];
        const mask = what === "bias" ? undefined : masks.get(`${layerName}.${what === "inputWeight" ? "input" : "hidden"}`)!;
        for (let k = 0; k < gradient.length; k += 3) {
          if (mask !== undefined && mask[k] === 0) {
            expect(Math.abs(gradient[k]!)).toBe(0);
            continue;
          }
          const field = (["w", "u", "b"] as const)[p % 3]!;
          const layer = Math.floor(p / 3);
          const shifted = (delta: number): ReferenceNetwork => ({
            ...base,
            layers: base.layers.map((l, i) => (i !== layer ? l : { ...l, [field]: l[field].map((v, j) => (j === k ? v + delta : v)) })),
          });
          const numeric = (loss(shifted(1e-6)) - loss(shifted(-1e-6))) / 2e-6;
          expect(Math.abs(gradient[k]! - numeric)).toBeLessThan(2e-3 + 2e-3 * Math.abs(numeric));
          checked++;
        }
      });
      expect(checked).toBeGreaterThan(15);
      tf.dispose([x, ...Object.values(grads)]);
      model.dispose();
    });
  }
});
