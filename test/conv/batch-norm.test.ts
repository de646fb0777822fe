import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { batchNorm } from "../../runtime/features/batch-norm.js";
import type { NormStore } from "../../runtime/features/store.js";

function store(channels: number): NormStore {
  return {
    kind: "batchNorm",
    layer: { kind: "batchNorm", name: "bn1", momentum: 0.1, epsilon: 1e-5, activate: false },
    input: [channels, 1, 1],
    gain: tf.variable(tf.tensor1d([1.5, -0.5, 0.8].slice(0, channels))),
    shift: tf.variable(tf.tensor1d([0.2, 0.1, -0.3].slice(0, channels))),
    mean: tf.variable(tf.zeros([channels]), false),
    variance: tf.variable(tf.ones([channels]), false),
  };
}

/** The definition, differentiated by TensorFlow.js itself. */
function reference(x: tf.Tensor4D, gain: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gain), shift);
}

describe.each(["cpu", "wasm"] as const)("training batch norm on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("gives the definition's output and gradients for the input, gain and shift", () => {
    const s = store(3);
    const x = tf.randomUniform([4, 3, 5, 3], -2, 2, "float32", 3) as tf.Tensor4D;
    const weights = tf.randomUniform([4, 3, 5, 3], -1, 1, "float32", 4);
    const loss = (f: (a: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.sin(f(a as tf.Tensor4D, g, b)), weights));
    const ours = tf.grads(loss((a, g, b) => batchNorm(a, { ...s, gain: g as tf.Variable<tf.Rank.R1>, shift: b as tf.Variable<tf.Rank.R1> }, true)))([x, s.gain, s.shift]);
    const expected = tf.grads(loss(reference))([x, s.gain, s.shift]);
    ours.forEach((g, i) => {
      const [a, e] = [g.dataSync(), expected[i]!.dataSync()];
      for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - e[k]!)).toBeLessThan(2e-4);
    });
    const [y, r] = [batchNorm(x, s, true).dataSync(), reference(x, s.gain, s.shift).dataSync()];
    for (let k = 0; k < y.length; k++) expect(Math.abs(y[k]! - r[k]!)).toBeLessThan(1e-5);
  });
});
