import { afterEach, describe, expect, it } from "vitest";
import { tf, type Model } from "../../runtime/index.js";
import { useNativeDense } from "../../runtime/kernels/native/dense-product.js";
import { useStockRecurrentGradient } from "../../runtime/recurrent/forward.js";
import { sparseHiddenIsCheaper } from "../../runtime/recurrent/hidden-product.js";
import { buildModel } from "../support/models.js";

const STEPS = 6;
const FEATURES = 3;
const BATCH = 4;

/** Masks about a third of every recurrent weight, a different pattern per block. */
function maskSome(model: Model): void {
  model.recurrent.forEach((layer, l) =>
    layer.masks.forEach((m, k) =>
      model.setMask(
        m.name,
        Uint8Array.from({ length: m.shape[0] * m.shape[1] }, (_, i) => ((i * 5 + l * 2 + k) % 3 === 0 ? 0 : 1)),
      ),
    ),
  );
}

/** Inputs [batch, steps, features (+ a real flag)]; with flags, sample s has STEPS − s real steps, its padding's values noise. */
function inputs(padded: boolean): tf.Tensor3D {
  const values = tf.randomNormal([BATCH, STEPS, FEATURES], 0, 1, "float32", 3);
  if (!padded) return values as tf.Tensor3D;
  const flags = tf.tensor3d(
    Array.from({ length: BATCH * STEPS }, (_, k) => (k % STEPS < STEPS - (Math.floor(k / STEPS) % STEPS) ? 1 : 0)),
    [BATCH, STEPS, 1],
  );
  return tf.concat([values, flags], 2) as tf.Tensor3D;
}

interface Run {
  readonly output: Float32Array;
  /** Per recurrent parameter, then the input's gradient under the name "x". */
  readonly gradients: Map<string, Float32Array>;
}

/** The output and every gradient of a weighted sum of it (weights fixed), through one of the two gradients. */
function run(model: Model, x: tf.Tensor3D, stock: boolean): Run {
  useStockRecurrentGradient(stock);
  const size = model.layers.at(-1)!.size;
  const weights = tf.randomUniform([BATCH, size], -1, 1, "float32", 4);
  const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(model.predict(input), weights));
  const parameters = model.parameters.filter((p) => !p.name.startsWith("output"));
  const { value, grads } = tf.variableGrads(
    () => loss(x),
    parameters.map((p) => p.variable),
  );
  const dx = tf.grad(loss)(x);
  const gradients = new Map(parameters.map((p) => [p.name, grads[p.variable.name]!.dataSync() as Float32Array]));
  gradients.set("x", dx.dataSync() as Float32Array);
  const output = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
  tf.dispose([value, weights, dx, ...Object.values(grads)]);
  return { output, gradients };
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  expected.forEach((e, k) => (worst = Math.max(worst, Math.abs(actual[k]! - e) / Math.max(1, Math.abs(e)))));
  expect(worst, what).toBeLessThan(1e-5);
}

/** WASM runs the products on the native BLAS where the addon is built, the CPU backend on TensorFlow.js's. */
const BACKENDS = ["cpu", "wasm"] as const;
const CALLS = ["rnn(hidden=[5, 4]", "rnn(hidden=[5, 4], activation=relu", "gru(hidden=[5, 4]", "lstm(hidden=[5, 4]"];

describe("the hand-written gradient through time against TensorFlow.js's stock one", () => {
  afterEach(() => useStockRecurrentGradient(false));

  for (const [call, backend] of CALLS.flatMap((c) => BACKENDS.map((b) => [c, b] as const))) {
    for (const padded of [false, true]) {
      for (const output of ["last", "all"]) {
        const settings = `${call}${padded ? ", padded=true" : ""}${output === "all" ? ", output=all" : ""})`;
        it(`${settings} on ${backend}: equal outputs and gradients within 1e-5, masked weights' gradients exactly 0`, async () => {
          const model = await buildModel(`network R { input [${STEPS}, ${FEATURES + (padded ? 1 : 0)}] recurrent ${settings} output 2 }`, { seed: 6, backend });
          maskSome(model);
          const x = inputs(padded);
          const stock = run(model, x, true);
          const ours = run(model, x, false);
          expectClose(ours.output, stock.output, "output");
          for (const [name, expected] of stock.gradients) expectClose(ours.gradients.get(name)!, expected, name);
          for (const layer of model.recurrent) {
            for (const [block, parameter] of [
              ["input", "inputWeight"],
              ["hidden", "hiddenWeight"],
            ] as const) {
              const mask = model.getMask(`${layer.name}.${block}`);
              const gradient = ours.gradients.get(`${layer.name}.${parameter}`)!;
              const masked = Array.from(mask.keys()).filter((k) => mask[k] === 0);
              expect(masked.length).toBeGreaterThan(0);
              expect(masked.every((k) => gradient[k] === 0)).toBe(true);
              // Live weights do get gradient: the check above is not passed by a zero gradient everywhere.
              expect(Array.from(mask.keys()).some((k) => mask[k] === 1 && gradient[k] !== 0)).toBe(true);
            }
          }
          if (padded) {
            const dx = ours.gradients.get("x")!;
            expect(dx.filter((_, k) => k % (FEATURES + 1) === FEATURES).every((v) => v === 0)).toBe(true);
          }
          tf.dispose(x);
          model.dispose();
        });
      }
    }
  }

  it("leaves no tensor behind, forward or through a gradient", async () => {
    const model = await buildModel(`network R { input [${STEPS}, ${FEATURES + 1}] recurrent lstm(hidden=[5, 4], padded=true) output 2 }`, { seed: 6 });
    const x = inputs(true);
    run(model, x, false);
    const before = tf.memory().numTensors;
    run(model, x, false);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    model.dispose();
  });
});

/** The kernels one forward pass runs, by name. */
async function kernelsOf(model: Model, x: tf.Tensor): Promise<string[]> {
  const profile = await tf.profile(() => void tf.tidy(() => model.predict(x).dataSync()));
  return profile.kernels.map((k) => k.name);
}

describe("a pruned hidden weight's product on the graph kernel (WASM without the native BLAS)", () => {
  afterEach(() => {
    useStockRecurrentGradient(false);
    useNativeDense(true);
  });

  it("is priced sparse at a tenth of [100, 400] live, dense when full or small", () => {
    expect(sparseHiddenIsCheaper(100, 400, 4000)).toBe(true);
    expect(sparseHiddenIsCheaper(100, 400, 40000)).toBe(false);
    expect(sparseHiddenIsCheaper(5, 20, 10)).toBe(false);
  });

  for (const kind of ["lstm", "gru"]) {
    it(`${kind}(hidden=100) with 90% of the hidden weight masked runs sparse, equal to the stock path within 1e-5`, async () => {
      useNativeDense(false);
      const model = await buildModel(`network S { input [${STEPS}, ${FEATURES}] recurrent ${kind}(hidden=100) output 2 }`, { seed: 6, backend: "wasm" });
      const x = inputs(false);
      expect(await kernelsOf(model, x)).not.toContain("DeepstructGraph");
      const mask = model.recurrent[0]!.masks.find((m) => m.name.endsWith(".hidden"))!;
      model.setMask(
        mask.name,
        Uint8Array.from({ length: mask.shape[0] * mask.shape[1] }, (_, k) => ((k * 7919) % 10 === 0 ? 1 : 0)),
      );
      expect(await kernelsOf(model, x)).toContain("DeepstructGraph");
      const stock = run(model, x, true);
      const ours = run(model, x, false);
      const before = tf.memory().numTensors;
      run(model, x, false);
      expect(tf.memory().numTensors).toBe(before);
      expectClose(ours.output, stock.output, "output");
      for (const [name, expected] of stock.gradients) expectClose(ours.gradients.get(name)!, expected, name);
      const live = model.getMask(mask.name);
      const gradient = ours.gradients.get(`${model.recurrent[0]!.name}.hiddenWeight`)!;
      expect(Array.from(live.keys()).every((k) => live[k] === 1 || gradient[k] === 0)).toBe(true);
      tf.dispose(x);
      model.dispose();
    });
  }
});
