/**
 * A graph kernel hands its neurons to its one dense reader as they lie in it,
 * [neurons, batch], and the dense kernel multiplies them transposed
 * (execution-plan.ts `neuronMajor`, native/dense-layer.ts): on the globally
 * 95%-pruned LeNet-300-100 (graph(dense1), dense(dense2), dense(output)) at
 * batches that are multiples of 16. Outputs and every gradient equal those of
 * the same masks run dense within float32 rounding, on WASM and CPU; with the
 * native products off (as DEEPSTRUCT_NATIVE=0) the usual layout runs, and
 * agrees too.
 */
import { describe, expect, it } from "vitest";
import { createNetwork, prune, tf, useBackend, type Model } from "../../runtime/index.js";
import { useNativeDense } from "../../runtime/kernels/native/dense-product.js";
import { nativeStatus } from "../../runtime/kernels/native/load.js";
import { analyze, networkSpec } from "../../src/index.js";

const SOURCE = "network LeNet { input 784 dense 300 dense 100 output 10 }";
const BATCH = 48;

const lenet = (backend: "wasm" | "cpu", execution: "auto" | "dense"): Promise<Model> => createNetwork(networkSpec(analyze(SOURCE).plans![0]!), { backend, seed: 4, execution });

/** Logits and every parameter's gradient of the cross-entropy. */
function outputsAndGradients(model: Model, x: tf.Tensor2D, y: tf.Tensor2D): Float32Array[] {
  const logits = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
  const variables = model.parameters.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x)) as tf.Scalar, variables);
  const out = variables.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  return [logits, ...out];
}

const worstRelative = (a: Float32Array, e: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]!) / (1 + Math.abs(e[i]!))), 0);

/** The output shapes of the graph kernels in one forward pass. */
async function graphOutputShapes(model: Model, x: tf.Tensor2D): Promise<number[][]> {
  const profile = await tf.profile(() => tf.tidy(() => void model.predict(x).dataSync()));
  return profile.kernels.filter((k) => k.name === "DeepstructGraph").flatMap((k) => k.outputShapes as number[][]);
}

describe.skipIf(!nativeStatus().available)("neuron-major hand-off from a graph kernel to a dense one", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    it(`gives the dense plan's outputs and gradients on the pruned LeNet (${backend}), native products on and off`, async () => {
      await useBackend(backend);
      const model = await lenet(backend, "auto");
      prune(model, { amount: { percent: 95 } });
      expect(model.execution.map((s) => `${s.kind}(${s.layers.join()})`)).toEqual(["graph(dense1)", "dense(dense2)", "dense(output)"]);
      const twin = await lenet(backend, "dense");
      for (const b of model.blocks) twin.setMask(b.name, model.getMask(b.name));
      const x = tf.randomUniform([BATCH, 784], -1, 1, "float32", 6) as tf.Tensor2D;
      const y = tf.oneHot(
        tf.tensor1d(
          Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10),
          "int32",
        ),
        10,
      ) as tf.Tensor2D;
      // dense1's kernel hands out [300, batch], not [batch, 300].
      const shapes = await graphOutputShapes(model, x);
      expect(shapes).toContainEqual([300, BATCH]);
      expect(shapes).not.toContainEqual([BATCH, 300]);
      const reference = outputsAndGradients(twin, x, y);
      outputsAndGradients(model, x, y).forEach((a, i) => expect(worstRelative(a, reference[i]!)).toBeLessThan(1e-5));
      useNativeDense(false);
      try {
        expect(await graphOutputShapes(model, x)).toContainEqual([BATCH, 300]);
        outputsAndGradients(model, x, y).forEach((a, i) => expect(worstRelative(a, reference[i]!)).toBeLessThan(1e-5));
      } finally {
        useNativeDense(true);
      }
      [model, twin].forEach((m) => m.dispose());
      tf.dispose([x, y]);
    });
  }
});
