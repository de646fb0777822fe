import { describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { lstmStepForward } from "../../runtime/kernels/lstm-forward.js";

const BATCH = 3;
const HIDDEN = 5;

function expectClose(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const e = expected.dataSync();
  let worst = 0;
  actual.dataSync().forEach((v, k) => (worst = Math.max(worst, Math.abs(v - e[k]!))));
  expect(worst, what).toBeLessThan(1e-6);
}

describe("one LSTM step forward on the fused kernels", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    it(`equals the cell as TensorFlow.js ops on ${backend}`, async () => {
      await useBackend(backend);
      // Pre-activations up to ±6, so the gates reach both ends of the sigmoid and tanh.
      const xt = tf.randomNormal([BATCH, 4 * HIDDEN], 0, 3, "float32", 1) as tf.Tensor2D;
      const hu = tf.randomNormal([BATCH, 4 * HIDDEN], 0, 1, "float32", 2) as tf.Tensor2D;
      const previousCell = tf.randomNormal([BATCH, HIDDEN], 0, 1, "float32", 3) as tf.Tensor2D;
      const [zi, zf, zg, zo] = tf.split(tf.add(xt, hu), 4, 1);
      const [i, f, g, o] = [tf.sigmoid(zi!), tf.sigmoid(zf!), tf.tanh(zg!), tf.sigmoid(zo!)];
      const c = tf.add(tf.mul(f, previousCell), tf.mul(i, g));
      const squashed = tf.tanh(c);
      const expected = { i, f, g, o, squashed, h: tf.mul(o, squashed), c };
      const ours = lstmStepForward({ xt, hu, previousCell });
      for (const [name, tensor] of Object.entries(expected)) expectClose(ours[name as keyof typeof expected], tensor, name);
      // The gates differ from one another: the comparison above is not passed by equal outputs in the wrong order.
      expect(Math.abs(ours.i.dataSync()[0]! - ours.f.dataSync()[0]!)).toBeGreaterThan(1e-4);
      tf.dispose([xt, hu, previousCell, zi!, zf!, zg!, zo!, ...Object.values(expected), ...Object.values(ours)]);
    });
  }

  it("says which input does not fit", async () => {
    await useBackend("cpu");
    const z = tf.zeros([2, 12]) as tf.Tensor2D;
    const c = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => lstmStepForward({ xt: z, hu: tf.zeros([2, 16]) as tf.Tensor2D, previousCell: c })).toThrow(
      "lstmStepForward: xt is [2,12], expected [2,16] (4 gates of the cell's 4)",
    );
    tf.dispose([z, c]);
  });
});
