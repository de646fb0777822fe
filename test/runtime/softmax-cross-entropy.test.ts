/**
 * The one-kernel softmax cross-entropy (runtime/training/softmax-cross-entropy.ts)
 * against the composed TensorFlow.js ops it replaces in `loss("crossEntropy")`:
 * the same loss and the same gradient by the logits, within float32 rounding,
 * on one-hot and soft targets, with large logits, and where the gradient
 * reaching the loss is not 1.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { fusedSoftmaxCrossEntropy } from "../../runtime/training/softmax-cross-entropy.js";
import { loss } from "../../runtime/training/losses.js";

const composed = (logits: tf.Tensor2D, rows: tf.Tensor2D): tf.Scalar => tf.mean(tf.neg(tf.sum(tf.mul(rows, tf.logSoftmax(logits)), 1)));

function worst(a: tf.Tensor, b: tf.Tensor): number {
  const [x, y] = [Array.from(a.dataSync()), Array.from(b.dataSync())];
  expect(x.length).toBe(y.length);
  return x.reduce((w, v, i) => Math.max(w, Math.abs(v - y[i]!)), 0);
}

/** Loss and gradient of `scale` · loss by the logits, for a loss function. */
function lossAndGradient(f: (z: tf.Tensor2D, rows: tf.Tensor2D) => tf.Scalar, logits: tf.Tensor2D, rows: tf.Tensor2D, scale: number): [tf.Scalar, tf.Tensor] {
  const { value, grads } = tf.valueAndGrads((z: tf.Tensor) => tf.mul(f(z as tf.Tensor2D, rows), scale) as tf.Scalar)([logits]);
  return [value, grads[0]!];
}

describe.each(["wasm", "cpu"] as const)("softmax cross-entropy as one kernel on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const cases = [
    {
      name: "one-hot targets",
      logits: () => tf.randomNormal([37, 10], 0, 3, "float32", 1),
      rows: () =>
        tf.oneHot(
          tf.tensor1d(
            Array.from({ length: 37 }, (_, i) => (i * 3) % 10),
            "int32",
          ),
          10,
        ),
    },
    { name: "soft targets", logits: () => tf.randomNormal([8, 5], 0, 1, "float32", 2), rows: () => tf.softmax(tf.randomNormal([8, 5], 0, 1, "float32", 3)) },
    {
      name: "large logits",
      logits: () => tf.mul(tf.randomNormal([16, 4], 0, 1, "float32", 4), 80),
      rows: () =>
        tf.oneHot(
          tf.tensor1d(
            Array.from({ length: 16 }, (_, i) => i % 4),
            "int32",
          ),
          4,
        ),
    },
  ];
  it.each(cases)("gives the composed ops' loss and gradient ($name)", ({ logits, rows }) => {
    const [z, y] = [logits() as tf.Tensor2D, tf.cast(rows(), "float32") as tf.Tensor2D];
    for (const scale of [1, -2.5]) {
      const [ours, ourGradient] = lossAndGradient((a, b) => fusedSoftmaxCrossEntropy(a, b)!, z, y, scale);
      const [theirs, theirGradient] = lossAndGradient(composed, z, y, scale);
      expect(Math.abs(ours.dataSync()[0]! - theirs.dataSync()[0]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(theirs.dataSync()[0]!)));
      expect(worst(ourGradient, theirGradient)).toBeLessThan(1e-6);
      expect(worst(ourGradient, tf.zerosLike(ourGradient))).toBeGreaterThan(1e-3);
      tf.dispose([ours, ourGradient, theirs, theirGradient]);
    }
    tf.dispose([z, y]);
  });

  it("is what loss('crossEntropy') runs, for class indices and int32 one-hot rows too, in two kernels a step", () => {
    const z = tf.randomNormal([12, 3], 0, 2, "float32", 5) as tf.Tensor2D;
    const labels = tf.tensor1d(
      Array.from({ length: 12 }, (_, i) => i % 3),
      "int32",
    );
    const expected = composed(z, tf.oneHot(labels, 3) as tf.Tensor2D);
    expect(Math.abs(loss("crossEntropy", z, labels).dataSync()[0]! - expected.dataSync()[0]!)).toBeLessThan(1e-6);
    // tf.oneHot's int32 rows, read as they are (no cast).
    const rows = tf.oneHot(labels, 3) as tf.Tensor2D;
    const [, reference] = lossAndGradient(composed, z, tf.cast(rows, "float32") as tf.Tensor2D, 1);
    let gradient: tf.Tensor | undefined;
    const kernels: string[] = [];
    const original = tf.engine().runKernel.bind(tf.engine());
    tf.engine().runKernel = ((name: string, ...rest: unknown[]) => (kernels.push(name), (original as (...a: unknown[]) => unknown)(name, ...rest))) as typeof original;
    try {
      const { value, grads } = tf.valueAndGrads((logits: tf.Tensor) => loss("crossEntropy", logits as tf.Tensor2D, rows))([z]);
      [gradient] = grads;
      value.dispose();
    } finally {
      tf.engine().runKernel = original;
    }
    expect(kernels).toContain("DeepstructSoftmaxCrossEntropy");
    // The loss and its gradient, then the gradient times the incoming one: against about thirty kernels composed.
    expect(kernels.filter((k) => k !== "Identity")).toEqual(["DeepstructSoftmaxCrossEntropy", "Multiply"]);
    expect(worst(gradient!, reference)).toBeLessThan(1e-6);
    tf.dispose([gradient!, reference]);
  });

  it("says where the shapes differ", () => {
    expect(() => fusedSoftmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(/logits \[2,3\] and targets \[2,4\]/);
  });
});
