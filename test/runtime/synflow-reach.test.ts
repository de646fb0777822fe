import { describe, expect, it } from "vitest";
import { computeSaliency, prune, tf, type Model } from "../../runtime/index.js";
import { prunableWeights, readWeights, weightVariable, type PrunableWeight } from "../../runtime/pruning/weights.js";
import { analyze, networkSpec } from "../../src/index.js";
import { buildModel } from "../support/models.js";

const CONV = `network S {
  input [2, 5, 5]
  features [conv(3, kernel=2), batch_norm(), avg_pool(2), conv(2, kernel=2, padding=same)]
  dense 3
  output 2
}`;
const GRU = "network G { input [3, 2] recurrent gru(hidden=[3, 2]) dense 2 output 2 }";

type Values = Map<string, Float64Array>;

/** The |θ| values every reference reads: each prunable weight's |w| under its mask. */
function magnitudes(model: Model): Values {
  return new Map(
    prunableWeights(model).map((w) => {
      const mask = model.getMask(w.name);
      return [w.name, Float64Array.from(readWeights(model, w), (v, i) => Math.abs(v) * mask[i]!)];
    }),
  );
}

/** y = x · W for x [rows] and W [rows, cols] row-major, in float64. */
function product(x: Float64Array, w: Float64Array, cols: number): Float64Array {
  const y = new Float64Array(cols);
  for (let r = 0; r < x.length; r++) for (let c = 0; c < cols; c++) y[c]! += x[r]! * w[r * cols + c]!;
  return y;
}

/** A stride-1 conv over channels-first maps [in, h, w] with an HWIO weight, padding `before` rows and columns (zeros outside), to [out, oh, ow]. */
function conv(x: Float64Array, shape: readonly number[], w: Float64Array, k: number, out: number, before: number, size: readonly [number, number]): Float64Array {
  const [inputs, h, width] = shape as [number, number, number];
  const y = new Float64Array(out * size[0] * size[1]);
  for (let o = 0; o < out; o++)
    for (let r = 0; r < size[0]; r++)
      for (let c = 0; c < size[1]; c++)
        for (let dr = 0; dr < k; dr++)
          for (let dc = 0; dc < k; dc++)
            for (let i = 0; i < inputs; i++) {
              const [sr, sc] = [r + dr - before, c + dc - before];
              if (sr < 0 || sc < 0 || sr >= h || sc >= width) continue;
              y[(o * size[0] + r) * size[1] + c]! += w[((dr * k + dc) * inputs + i) * out + o]! * x[(i * h + sr) * width + sc]!;
            }
  return y;
}

/** R of CONV's |θ| network in float64, from the definition: conv, batch norm as |γ|·x, 2×2 average pool, `same` conv, flatten, two dense products, summed. */
function convFlow(v: Values, gains: Float64Array): number {
  let x = conv(new Float64Array(50).fill(1), [2, 5, 5], v.get("conv1")!, 2, 3, 0, [4, 4]);
  x = x.map((value, i) => value * gains[Math.floor(i / 16)]!);
  const pooled = new Float64Array(12);
  for (let c = 0; c < 3; c++)
    for (let r = 0; r < 2; r++)
      for (let col = 0; col < 2; col++) for (let d = 0; d < 4; d++) pooled[(c * 2 + r) * 2 + col]! += x[(c * 4 + 2 * r + (d >> 1)) * 4 + 2 * col + (d & 1)]! / 4;
  const features = conv(pooled, [3, 2, 2], v.get("conv2")!, 2, 2, 0, [2, 2]);
  const dense1 = product(features, v.get("features->dense1")!, 3);
  return product(dense1, v.get("dense1->output")!, 2).reduce((a, b) => a + b, 0);
}

/** R of GRU's |θ| network in float64: each layer h_t = Σ_gates (x_t |W_in| + h_{t−1} |W_h|) over three steps of ones, then the dense layers. */
function recurrentFlow(v: Values): number {
  let sequence = Array.from({ length: 3 }, () => new Float64Array(2).fill(1));
  for (const [layer, hidden] of [
    ["gru1", 3],
    ["gru2", 2],
  ] as const) {
    let h = new Float64Array(hidden);
    sequence = sequence.map((xt) => {
      const z = product(xt, v.get(`${layer}.input`)!, 3 * hidden).map((value, c) => value + product(h, v.get(`${layer}.hidden`)!, 3 * hidden)[c]!);
      h = Float64Array.from({ length: hidden }, (_, j) => z[j]! + z[hidden + j]! + z[2 * hidden + j]!);
      return h;
    });
  }
  const dense1 = product(sequence.at(-1)!, v.get("recurrent->dense1")!, 2);
  return product(dense1, v.get("dense1->output")!, 2).reduce((a, b) => a + b, 0);
}

/** Per live entry, |w| · ∂R/∂w by central differences on the float64 reference (exact for the conv net, which is affine in each weight). */
function referenceSaliency(model: Model, flow: (v: Values) => number): Values {
  const values = magnitudes(model);
  const result: Values = new Map();
  for (const w of prunableWeights(model)) {
    const mine = values.get(w.name)!;
    const mask = model.getMask(w.name);
    result.set(
      w.name,
      Float64Array.from(mine, (magnitude, i) => {
        if (mask[i] === 0) return 0;
        const step = 1e-4;
        mine[i] = magnitude + step;
        const up = flow(values);
        mine[i] = magnitude - step;
        const down = flow(values);
        mine[i] = magnitude;
        return (magnitude * (up - down)) / (2 * step);
      }),
    );
  }
  return result;
}

function expectClose(model: Model, actual: Map<string, ArrayLike<number>>, expected: Values): void {
  let largest = 0;
  for (const e of expected.values()) for (const v of e) largest = Math.max(largest, v);
  expect(largest).toBeGreaterThan(0);
  for (const w of prunableWeights(model)) {
    const mask = model.getMask(w.name);
    const [a, e] = [actual.get(w.name)!, expected.get(w.name)!];
    for (let i = 0; i < w.size; i++) if (mask[i] === 1) expect(Math.abs(a[i]! - e[i]!), `${w.name}[${i}]`).toBeLessThan(1e-4 * largest + 1e-4 * e[i]!);
  }
}

/** Masks a weight's entries where `drop(i)`. */
function maskOut(model: Model, weight: string, drop: (i: number) => boolean): void {
  model.setMask(
    weight,
    model.getMask(weight).map((m, i) => (drop(i) ? 0 : m)),
  );
}

describe("synflow through convs, batch norms and recurrent layers", () => {
  it("matches the float64 |θ| network of a small conv net: masks honoured, biases and shifts left out, batch norm as |γ|", async () => {
    const model = await buildModel(CONV, { seed: 3 });
    const gains = Float64Array.from([0.5, -2, 1.5]);
    model.parameters.find((p) => p.name === "bn1.gain")!.variable.assign(tf.tensor1d(Array.from(gains)));
    model.parameters.find((p) => p.name === "bn1.shift")!.variable.assign(tf.tensor1d([3, -1, 2]));
    model.parameters.find((p) => p.name === "conv1.bias")!.variable.assign(tf.tensor1d([1, 2, -3]));
    maskOut(model, "conv1", (i) => i % 7 === 0);
    maskOut(model, "features->dense1", (i) => i % 5 === 1);
    const actual = computeSaliency(model, "synflow");
    expectClose(
      model,
      actual,
      referenceSaliency(model, (v) => convFlow(v, gains.map(Math.abs))),
    );
    model.dispose();
  });

  it("matches the float64 linearised recurrent flow of a stacked gru, gates summed, input and hidden weights both", async () => {
    const model = await buildModel(GRU, { seed: 5 });
    maskOut(model, "gru1.hidden", (i) => i % 4 === 2);
    const actual = computeSaliency(model, "synflow");
    expectClose(model, actual, referenceSaliency(model, recurrentFlow));
    model.dispose();
  });

  it("the language takes synflow over convs, cells and recurrent layers: a schedule at creation prunes as prune() does", async () => {
    const CELLS = "cell block = [conv(3, kernel=3, padding=same), batch_norm()]\ngraph g = balanced_tree(2, 1)";
    for (const source of [
      CONV.replace("}", "prune one_shot(percent=40, saliency=synflow)\n}"),
      GRU.replace(" }", " prune one_shot(percent=40, saliency=synflow, unit=neuron) }"),
      `${CELLS}\nnetwork N { input [1, 6, 6] structure g cells block head 4 output 3 prune one_shot(percent=40, saliency=synflow, layers=[cell1.conv1, head.conv]) }`,
    ]) {
      const { plans, diagnostics } = analyze(source);
      expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const spec = networkSpec(plans![0]!);
      const pruned = await buildModel(source, { seed: 7 });
      const fresh = await buildModel(source.replace(/prune one_shot\([^)]*\)/, ""), { seed: 7 });
      const schedule = spec.pruning![0]!;
      prune(fresh, { amount: { percent: 40 }, saliency: "synflow", ...(schedule.blocks ? { blocks: schedule.blocks } : {}), ...(schedule.unit ? { unit: schedule.unit } : {}) });
      const weights = prunableWeights(pruned);
      const dead = (m: Model, w: PrunableWeight): number => m.getMask(w.name).filter((v) => v === 0).length;
      expect(weights.reduce((n, w) => n + dead(pruned, w), 0)).toBeGreaterThan(0);
      for (const w of weights) expect(Array.from(pruned.getMask(w.name)), w.name).toEqual(Array.from(fresh.getMask(w.name)));
      [pruned, fresh].forEach((m) => m.dispose());
    }
  });

  it("refuses a flow that overflows float32, naming the saliency", async () => {
    const model = await buildModel("network L { input [40, 4] recurrent rnn(hidden=[64]) output 2 }", { seed: 1 });
    const hidden = prunableWeights(model).find((w) => w.name === "rnn1.hidden")!;
    weightVariable(model, hidden).assign(tf.fill([64, 64], 1));
    expect(() => computeSaliency(model, "synflow")).toThrow("saliency 'synflow': the |θ| network's output sum overflows float32");
    model.dispose();
  });
});
