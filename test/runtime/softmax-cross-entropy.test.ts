/**
 * The one-kernel softmax cross-entropy (runtime/training/softmax-cross-entropy.ts)
 * against the composed TensorFlow.js ops it replaces in `loss("crossEntropy")`:
 * the same loss and the same gradient by the logits, within float32 rounding,
 * on one-hot and soft targets, with large logits, and where the gradient
 * reaching the loss is not 1; class indices read as they are (no one-hot
 * rows made); and the correct predictions it counts in the same pass against
 * correctCount's kernels.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { fusedSoftmaxCrossEntropy } from "../../runtime/training/softmax-cross-entropy.js";
import { correctCount, loss, lossAndCorrect } from "../../runtime/training/losses.js";

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
      const [ours, ourGradient] = lossAndGradient((a, b) => fusedSoftmaxCrossEntropy(a, b)!.loss, z, y, scale);
      const [theirs, theirGradient] = lossAndGradient(composed, z, y, scale);
      expect(Math.abs(ours.dataSync()[0]! - theirs.dataSync()[0]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(theirs.dataSync()[0]!)));
      expect(worst(ourGradient, theirGradient)).toBeLessThan(1e-6);
      expect(worst(ourGradient, tf.zerosLike(ourGradient))).toBeGreaterThan(1e-3);
      tf.dispose([ours, ourGradient, theirs, theirGradient]);
    }
    tf.dispose([z, y]);
  });

  it("is what loss('crossEntropy') runs, for class indices and int32 one-hot rows too, in one kernel a step", () => {
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
    // The loss and its gradient, handed on as it is (the incoming gradient is 1): against about thirty kernels composed.
    expect(kernels.filter((k) => k !== "Identity")).toEqual(["DeepstructSoftmaxCrossEntropy"]);
    expect(worst(gradient!, reference)).toBeLessThan(1e-6);
    tf.dispose([gradient!, reference]);
  });

  /** The kernels `run` dispatches through the engine, Identity (saves) left out. */
  function kernelsOf(run: () => void): string[] {
    const kernels: string[] = [];
    const original = tf.engine().runKernel.bind(tf.engine());
    tf.engine().runKernel = ((name: string, ...rest: unknown[]) => (kernels.push(name), (original as (...a: unknown[]) => unknown)(name, ...rest))) as typeof original;
    try {
      run();
    } finally {
      tf.engine().runKernel = original;
    }
    return kernels.filter((k) => k !== "Identity");
  }

  it("reads class indices as they are: tf.oneHot's loss and gradient, in the same one kernel", () => {
    const z = tf.randomNormal([40, 7], 0, 2, "float32", 6) as tf.Tensor2D;
    // An index outside [0, 7) is tf.oneHot's zero row: no loss, no gradient in that row.
    const labels = tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => (i === 5 ? 7 : i === 9 ? -1 : (i * 5) % 7)),
      "int32",
    );
    const rows = tf.cast(tf.oneHot(labels, 7), "float32") as tf.Tensor2D;
    const [theirs, theirGradient] = lossAndGradient(composed, z, rows, 1);
    let ours: [tf.Scalar, tf.Tensor] | undefined;
    const kernels = kernelsOf(() => {
      const { value, grads } = tf.valueAndGrads((logits: tf.Tensor) => loss("crossEntropy", logits as tf.Tensor2D, labels))([z]);
      ours = [value, grads[0]!];
    });
    // No OneHot (nor Cast): the loss and its gradient, handed on as it is (the incoming gradient is 1).
    expect(kernels).toEqual(["DeepstructSoftmaxCrossEntropy"]);
    expect(Math.abs(ours![0].dataSync()[0]! - theirs.dataSync()[0]!)).toBeLessThan(1e-6);
    expect(worst(ours![1], theirGradient)).toBeLessThan(1e-7);
    expect(worst(tf.slice(ours![1], [5, 0], [1, 7]), tf.zeros([1, 7]))).toBe(0);
    tf.dispose([z, labels, rows, theirs, theirGradient, ...ours!]);
  });

  it("counts the correct predictions as correctCount does, in its one kernel (one-hot, soft, class indices, ties)", () => {
    const z = tf.tensor2d([
      [1, 3, 3, 0],
      [2, 2, 2, 2],
      [0, 0, 5, 1],
      [4, 1, 0, 4],
      [0, 1, 2, 3],
      [-1, -2, -3, -4],
    ]);
    const labels = tf.tensor1d([1, 0, 2, 3, 4, 0], "int32");
    const soft = tf.tensor2d([
      [0.1, 0.6, 0.2, 0.1],
      [0.25, 0.25, 0.25, 0.25],
      [0, 0.5, 0.5, 0],
      [0.5, 0, 0, 0.5],
      [0.7, 0.1, 0.1, 0.1],
      [0.1, 0.2, 0.3, 0.4],
    ]);
    for (const targets of [labels, tf.oneHot(labels, 4), soft]) {
      const expected = correctCount(z, targets).dataSync()[0]!;
      let measured: { loss: tf.Scalar; correct: tf.Scalar | undefined } | undefined;
      const kernels = kernelsOf(() => (measured = lossAndCorrect("crossEntropy", z, targets)));
      expect(kernels).toEqual(["DeepstructSoftmaxCrossEntropy"]);
      expect(measured!.correct!.dtype).toBe("int32");
      expect(measured!.correct!.dataSync()[0]).toBe(expected);
      expect(Math.abs(measured!.loss.dataSync()[0]! - loss("crossEntropy", z, targets).dataSync()[0]!)).toBe(0);
      tf.dispose([measured!.loss, measured!.correct!]);
    }
    // Rows 0, 1 and 3 tie: the first largest logit is the prediction, as tf.argMax takes it (row 3 predicts 0, not its 3); row 4's index is out of range.
    expect(correctCount(z, labels).dataSync()[0]).toBe(4);
    // Kept past a tidy, for the training step that reads it after its tape.
    const kept = tf.tidy(() => lossAndCorrect("crossEntropy", z, labels).correct!);
    expect(kept.isDisposed).toBe(false);
    kept.dispose();
    expect(lossAndCorrect("mse", z, tf.zeros([6, 4])).correct).toBeUndefined();
  });

  it("says where the shapes differ", () => {
    expect(() => fusedSoftmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([3], "int32"))).toThrow(/logits \[2,3\] and targets \[3\] differ in shape \(class indices: one a row\)/);
    expect(() => fusedSoftmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(/logits \[2,3\] and targets \[2,4\]/);
  });
});
