import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { GRADIENTS_PATH, gradientsBundleText } from "../../scripts/gradients-bundle.js";
import "../../runtime/gradients.js";

describe("TensorFlow.js's gradient registrations for Node", () => {
  it("are committed as the bundle `npm run build:gradients` writes from the installed tfjs-core", async () => {
    expect(readFileSync(GRADIENTS_PATH, "utf8")).toBe(await gradientsBundleText());
  });

  it("register gradients that tfjs-core's Node entry lacks, for the ops the runtime trains through", () => {
    for (const kernel of [tf.Tanh, tf.Sigmoid, tf.Relu, tf.Softmax, tf.Log, tf.GatherV2, tf.UnsortedSegmentSum, tf.Mean, tf.Sqrt, tf.Maximum]) {
      expect(tf.getGradient(kernel), kernel).toBeDefined();
    }
  });

  it("compute the gradient the calculus gives: d/dx sum(tanh(x)) = 1 - tanh(x)^2", async () => {
    await tf.setBackend("cpu");
    const x = tf.tensor1d([-1, 0, 0.5]);
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.tanh(input)))(x);
    const expected = [-1, 0, 0.5].map((v) => 1 - Math.tanh(v) ** 2);
    const actual = Array.from(gradient.dataSync());
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
  });
});
