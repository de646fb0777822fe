import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { maskedDense } from "../../runtime/kernels/masked-dense.js";
import { sparseDense, sparseStructure } from "../../runtime/kernels/sparse-dense.js";
import { createRandom } from "../../runtime/random.js";
import { useBackend } from "../../runtime/index.js";

const random = createRandom(21);
const [batch, rows, cols] = [4, 9, 6];
const edges: [number, number][] = [];
for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (random.next() < 0.3) edges.push([r, c]);
const structure = () => sparseStructure(rows, cols, Int32Array.from(edges, (e) => e[0]), Int32Array.from(edges, (e) => e[1]));
const x = tf.tensor2d(Float32Array.from({ length: batch * rows }, () => random.uniform(-1, 1)), [batch, rows]);
const w = tf.tensor1d(Float32Array.from(edges, () => random.uniform(-1, 1)));
const m = tf.tensor1d(Float32Array.from(edges, (_, i) => (i % 4 === 0 ? 0 : 1)));
const b = tf.tensor1d(Float32Array.from({ length: cols }, () => random.uniform(-1, 1)));

/** The same weights as a dense [rows, cols] matrix and mask. */
function dense(): { W: tf.Tensor2D; M: tf.Tensor2D } {
  const W = new Float32Array(rows * cols);
  const M = new Float32Array(rows * cols);
  const wv = w.dataSync();
  const mv = m.dataSync();
  edges.forEach(([r, c], i) => {
    W[r * cols + c] = wv[i]!;
    M[r * cols + c] = mv[i]!;
  });
  return { W: tf.tensor2d(W, [rows, cols]), M: tf.tensor2d(M, [rows, cols]) };
}

function lossOf(y: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.mul(tf.sin(y), tf.div(tf.reshape(tf.range(1, y.size + 1), y.shape), y.size)));
}

describe.each(["cpu", "wasm"] as const)("the sparse kernel on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("computes what the masked dense kernel computes", () => {
    const { W, M } = dense();
    const expected = maskedDense(x, W, M, b).dataSync();
    const actual = sparseDense(x, w, m, b, structure()).dataSync();
    actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it("has the gradients of the dense kernel: the edges' weights and the input", () => {
    const s = structure();
    const { W, M } = dense();
    const [dxSparse, dwSparse] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => lossOf(sparseDense(xx as tf.Tensor2D, ww as tf.Tensor1D, m, b, s)))([x, w]);
    const [dxDense, dWDense] = tf.grads((xx: tf.Tensor, WW: tf.Tensor) => lossOf(maskedDense(xx as tf.Tensor2D, WW as tf.Tensor2D, M, b)))([x, W]);
    const dxs = dxSparse!.dataSync();
    dxDense!.dataSync().forEach((v, i) => expect(dxs[i]).toBeCloseTo(v, 5));
    const dW = dWDense!.dataSync();
    const dw = dwSparse!.dataSync();
    edges.forEach(([r, c], i) => expect(dw[i]).toBeCloseTo(dW[r * cols + c]!, 5));
  });

  it("matches central finite differences, and gives masked edges exactly zero gradient", () => {
    const s = structure();
    const dw = tf.grad((ww: tf.Tensor) => lossOf(sparseDense(x, ww as tf.Tensor1D, m, b, s)))(w).dataSync();
    const base = Array.from(w.dataSync());
    const h = 1e-2;
    const at = (i: number, delta: number): number => {
      const shifted = [...base];
      shifted[i]! += delta;
      return lossOf(sparseDense(x, tf.tensor1d(shifted), m, b, s)).dataSync()[0]!;
    };
    const mv = m.dataSync();
    for (let i = 0; i < base.length; i++) {
      if (mv[i] === 0) expect(Math.abs(dw[i]!)).toBe(0);
      else expect(Math.abs(dw[i]! - (at(i, h) - at(i, -h)) / (2 * h))).toBeLessThan(2e-3);
    }
  });
});
