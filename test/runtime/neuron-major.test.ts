/**
 * A graph kernel hands its neurons to its one dense reader as they lie in it,
 * [neurons, batch], and the dense kernel multiplies them transposed
 * (execution-plan.ts `neuronMajor`, native/dense-layer.ts): on the globally
 * 95%-pruned LeNet-300-100 (graph(dense1), dense(dense2), dense(output)) at
 * batches that are multiples of 16. Outputs and every gradient equal those of
 * the same masks run dense within float32 rounding, on WASM and CPU; with the
 * native products off (as DEEPSTRUCT_NATIVE=0) the usual layout runs, and
 * agrees too. Behind a conv stem the graph kernel's input needs its gradient
 * too, whose batch the backward pass must take from dy's second axis.
 */
import { describe, expect, it } from "vitest";
import { createNetwork, prune, tf, useBackend, type Model } from "../../runtime/index.js";
import { useNativeDense } from "../../runtime/kernels/native/dense-product.js";
import { nativeStatus } from "../../runtime/kernels/native/load.js";
import { prunableWeights } from "../../runtime/pruning/weights.js";
import { analyze, networkSpec } from "../../src/index.js";
import { oneHotLabels } from "./labels.js";

const BATCH = 48;
const cases = [
  { name: "LeNet", source: "network LeNet { input 784 dense 300 dense 100 output 10 }", inputs: [784], hidden: 300 },
  {
    name: "a conv stem in front",
    source: "network Stem { input [1, 28, 28] features [conv(4, kernel=3, padding=same), max_pool(2)] dense 300 dense 100 output 10 }",
    inputs: [1, 28, 28],
    hidden: 300,
  },
];

const build = (source: string, backend: "wasm" | "cpu", execution: "auto" | "dense"): Promise<Model> =>
  createNetwork(networkSpec(analyze(source).plans![0]!), { backend, seed: 4, execution });

/** Logits and every parameter's gradient of the cross-entropy. */
function outputsAndGradients(model: Model, x: tf.Tensor, y: tf.Tensor2D): Float32Array[] {
  const logits = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
  const variables = model.parameters.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x)) as tf.Scalar, variables);
  const out = variables.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  return [logits, ...out];
}

const worstRelative = (a: Float32Array, e: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]!) / (1 + Math.abs(e[i]!))), 0);

/** The output shapes of the graph kernels in one forward pass. */
async function graphOutputShapes(model: Model, x: tf.Tensor): Promise<number[][]> {
  const profile = await tf.profile(() => tf.tidy(() => void model.predict(x).dataSync()));
  return profile.kernels.filter((k) => k.name === "DeepstructGraph").flatMap((k) => k.outputShapes as number[][]);
}

describe.skipIf(!nativeStatus().available)("neuron-major hand-off from a graph kernel to a dense one", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    it.each(cases)(`gives the dense plan's outputs and gradients on the pruned $name (${backend}), native products on and off`, async ({ source, inputs, hidden }) => {
      await useBackend(backend);
      const model = await build(source, backend, "auto");
      prune(model, { amount: { percent: 95 } });
      expect(model.execution.map((s) => `${s.kind}(${s.layers.join()})`)).toContain("graph(dense1)");
      const twin = await build(source, backend, "dense");
      for (const w of prunableWeights(model)) twin.setMask(w.name, model.getMask(w.name));
      const x = tf.randomUniform([BATCH, ...inputs], -1, 1, "float32", 6);
      const y = oneHotLabels(BATCH);
      // dense1's kernel hands out [300, batch], not [batch, 300].
      const shapes = await graphOutputShapes(model, x);
      expect(shapes).toContainEqual([hidden, BATCH]);
      expect(shapes).not.toContainEqual([BATCH, hidden]);
      const reference = outputsAndGradients(twin, x, y);
      outputsAndGradients(model, x, y).forEach((a, i) => expect(worstRelative(a, reference[i]!)).toBeLessThan(1e-5));
      useNativeDense(false);
      try {
        expect(await graphOutputShapes(model, x)).toContainEqual([BATCH, hidden]);
        outputsAndGradients(model, x, y).forEach((a, i) => expect(worstRelative(a, reference[i]!)).toBeLessThan(1e-5));
      } finally {
        useNativeDense(true);
      }
      [model, twin].forEach((m) => m.dispose());
      tf.dispose([x, y]);
    });
  }
});
