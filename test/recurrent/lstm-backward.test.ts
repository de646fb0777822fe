import { describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { lstmStepBackward } from "../../runtime/kernels/lstm-backward.js";

const BATCH = 3;
const HIDDEN = 5;

/** One LSTM cell update from pre-activations, as plain ops: the oracle's function. */
function cell(zi: tf.Tensor, zf: tf.Tensor, zg: tf.Tensor, zo: tf.Tensor, previous: tf.Tensor): { h: tf.Tensor; c: tf.Tensor } {
  const c = tf.add(tf.mul(tf.sigmoid(zf), previous), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
  return { h: tf.mul(tf.sigmoid(zo), tf.tanh(c)), c };
}

describe("one LSTM step backward as one kernel", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    it(`equals TensorFlow.js's autodiff of the cell on ${backend}`, async () => {
      await useBackend(backend);
      const z = [1, 2, 3, 4].map((seed) => tf.randomNormal([BATCH, HIDDEN], 0, 1.5, "float32", seed) as tf.Tensor2D);
      const previous = tf.randomNormal([BATCH, HIDDEN], 0, 1, "float32", 5) as tf.Tensor2D;
      const dh = tf.randomNormal([BATCH, HIDDEN], 0, 1, "float32", 6) as tf.Tensor2D;
      const dc = tf.randomNormal([BATCH, HIDDEN], 0, 1, "float32", 7) as tf.Tensor2D;
      const [zi, zf, zg, zo] = z as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const expected = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, p: tf.Tensor) => {
        const next = cell(a, b, c, d, p);
        return tf.add(tf.sum(tf.mul(next.h, dh)), tf.sum(tf.mul(next.c, dc)));
      })([zi, zf, zg, zo, previous]);
      const squashed = tf.tanh(cell(zi, zf, zg, zo, previous).c);
      const ours = lstmStepBackward({ i: tf.sigmoid(zi), f: tf.sigmoid(zf), g: tf.tanh(zg), o: tf.sigmoid(zo), squashed: squashed as tf.Tensor2D, previousCell: previous, dh, dc });
      const dz = tf.split(ours.dz, 4, 1);
      dz.forEach((part, k) => Array.from(part.dataSync()).forEach((v, e) => expect(Math.abs(v - expected[k]!.dataSync()[e]!)).toBeLessThan(1e-6)));
      Array.from(ours.dc.dataSync()).forEach((v, e) => expect(Math.abs(v - expected[4]!.dataSync()[e]!)).toBeLessThan(1e-6));
      // Not all zero: the comparison above is not passed by two zero tensors.
      expect(Array.from(ours.dz.dataSync()).some((v) => Math.abs(v) > 1e-3)).toBe(true);
      tf.dispose([...z, previous, dh, dc, ...expected, squashed, ours.dz, ours.dc, ...dz]);
    });
  }

  it("says which input does not fit", async () => {
    await useBackend("cpu");
    const a = tf.zeros([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => lstmStepBackward({ i: a, f: a, g: a, o: a, squashed: a, previousCell: b, dh: a, dc: a })).toThrow(
      "lstmStepBackward: previousCell is float32 [2,4], expected float32 [2,3]",
    );
    tf.dispose([a, b]);
  });
});
