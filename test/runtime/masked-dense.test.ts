import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { maskedDense } from "../../runtime/kernels/masked-dense.js";
import { createRandom } from "../../runtime/random.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const random = createRandom(11);
const uniform = (shape: [number, number] | [number]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform(-1, 1)),
    shape,
  );
const maskOf = (rows: number, cols: number): tf.Tensor2D =>
  tf.tensor2d(
    Float32Array.from({ length: rows * cols }, () => (random.next() < 0.4 ? 1 : 0)),
    [rows, cols],
  );

/** Equal within float32 rounding: the products may run on the native BLAS, which sums in another order. */
function expectClose(actual: tf.Tensor, expected: tf.Tensor): void {
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => expect(Math.abs(v - e[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e[i]!))));
}

/** A scalar loss that weights every output differently, so every gradient entry matters. */
function lossOf(y: tf.Tensor2D): tf.Scalar {
  const weights = tf.div(tf.reshape(tf.range(1, y.size + 1), y.shape), y.size);
  return tf.sum(tf.mul(tf.sin(y), weights));
}

describe("the masked dense kernel's custom gradient", () => {
  it("gives the unmasked weight gradient xᵀ·dy when asked (for growing connections)", () => {
    const [x2, w2] = [uniform([3, 4]) as tf.Tensor2D, uniform([4, 2]) as tf.Tensor2D];
    const m2 = tf.tensor2d([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]);
    const b2 = tf.zeros([2]) as tf.Tensor1D;
    const dense = tf.grad((ww: tf.Tensor) => tf.sum(maskedDense(x2, ww as tf.Tensor2D, m2, b2, { denseWeightGradient: true })))(w2);
    const expected = tf.matMul(tf.transpose(x2), tf.ones([3, 2]));
    expectClose(dense, expected);
  });

  const [batch, rows, cols] = [5, 7, 4];
  const x = uniform([batch, rows]) as tf.Tensor2D;
  const w = uniform([rows, cols]) as tf.Tensor2D;
  const b = uniform([cols]) as tf.Tensor1D;
  const mask = maskOf(rows, cols);

  it("computes x · (w ⊙ mask) + b", () => {
    const expected = tf.add(tf.matMul(x, tf.mul(w, mask)), b);
    expectClose(maskedDense(x, w, mask, b), expected);
  });

  it("agrees with TensorFlow.js's own gradient of the same expression", () => {
    const ours = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => lossOf(maskedDense(xx as tf.Tensor2D, ww as tf.Tensor2D, mask, bb as tf.Tensor1D)))([x, w, b]);
    const stock = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => lossOf(tf.add(tf.matMul(xx as tf.Tensor2D, tf.mul(ww, mask) as tf.Tensor2D), bb)))([x, w, b]);
    ours.forEach((g, i) => {
      const a = g.dataSync();
      const e = stock[i]!.dataSync();
      for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(e[k]!, 5);
    });
  });

  it("matches central finite differences for every live weight, and is exactly 0 for every masked one", () => {
    const dw = tf
      .grad((ww: tf.Tensor) => lossOf(maskedDense(x, ww as tf.Tensor2D, mask, b)))(w)
      .dataSync();
    const base = w.arraySync() as number[][];
    const m = mask.dataSync();
    const h = 1e-2;
    const at = (r: number, c: number, delta: number): number => {
      const shifted = base.map((row) => [...row]);
      shifted[r]![c]! += delta;
      return lossOf(maskedDense(x, tf.tensor2d(shifted), mask, b)).dataSync()[0]!;
    };
    let live = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        if (m[i] === 0) {
          expect(Math.abs(dw[i]!)).toBe(0); // -0 counts: an optimizer adds nothing either way
          continue;
        }
        live++;
        const numeric = (at(r, c, h) - at(r, c, -h)) / (2 * h);
        expect(Math.abs(dw[i]! - numeric)).toBeLessThan(2e-3);
      }
    }
    expect(live).toBeGreaterThan(3);
  });

  it("returns a zero input gradient when told the input needs none, and the same parameter gradients", () => {
    const f = (needs: boolean) =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor) => lossOf(maskedDense(xx as tf.Tensor2D, ww as tf.Tensor2D, mask, b, { inputNeedsGradient: needs })))([x, w]);
    const [dxSkipped, dwSkipped] = f(false);
    const [, dw] = f(true);
    expect(Array.from(dxSkipped!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(dwSkipped!.dataSync())).toEqual(Array.from(dw!.dataSync()));
  });
});
