/**
 * The fused softmax cross-entropy's backward pass where the incoming gradient is exactly 1 (a training step's): the
 * saved gradient handed on without a Multiply, bit for bit what scaling by 1 gives; any other incoming gradient scales it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { fusedSoftmaxCrossEntropy } from "../../runtime/training/softmax-cross-entropy.js";

const fused = (z: tf.Tensor, labels: tf.Tensor): tf.Scalar => fusedSoftmaxCrossEntropy(z as tf.Tensor2D, labels)!.loss;

describe.each(["wasm", "cpu"] as const)("the fused loss's gradient on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("runs no Multiply for an incoming 1, gives exactly the scaled gradient's values, and leaks nothing", async () => {
    const logits = tf.randomNormal([37, 10], 0, 3, "float32", 1);
    const labels = tf.tensor1d(
      Int32Array.from({ length: 37 }, (_, i) => (i * 7) % 10),
      "int32",
    );
    const before = tf.memory().numTensors;
    let gradient: tf.Tensor | undefined;
    const profile = await tf.profile(() => void (gradient = tf.grad((z: tf.Tensor) => fused(z, labels))(logits)));
    expect(profile.kernels.map((k) => k.name)).not.toContain("Multiply");
    // Scaled by 4 then by ¼: powers of two, exact in float32, so the same bits as the gradient itself.
    const scaled = tf.tidy(() => tf.mul(tf.grad((z: tf.Tensor) => fused(z, labels))(logits, tf.scalar(4)), 0.25));
    expect(Array.from(gradient!.dataSync())).toEqual(Array.from(scaled.dataSync()));
    expect(Array.from(gradient!.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([gradient!, scaled]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, labels]);
  });
});
