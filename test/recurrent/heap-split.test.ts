import { describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { sliceRows, splitEqually } from "../../runtime/kernels/heap-split.js";

describe("splitEqually (a 2-D tensor in equal parts, read in place on WASM)", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    for (const axis of [0, 1] as const) {
      it(`equals TensorFlow.js's split along axis ${axis} on ${backend}`, async () => {
        await useBackend(backend);
        const x = tf.randomNormal([6, 12], 0, 1, "float32", 2) as tf.Tensor2D;
        const parts = splitEqually(x, 3, axis);
        const expected = tf.split(x, 3, axis);
        expect(parts.map((p) => p.shape)).toEqual(expected.map((e) => e.shape));
        parts.forEach((p, k) => expect(Array.from(p.dataSync())).toEqual(Array.from(expected[k]!.dataSync())));
        // Distinct parts: a kernel returning the first part three times fails here.
        expect(Array.from(parts[1]!.dataSync())).not.toEqual(Array.from(parts[0]!.dataSync()));
        tf.dispose([x, ...parts, ...expected]);
      });
    }
  }

  it("says which shape does not split", async () => {
    await useBackend("wasm");
    const x = tf.zeros([4, 6]) as tf.Tensor2D;
    expect(() => splitEqually(x, 4, 1)).toThrow("splitEqually: cannot split [4,6] into 4 equal parts along axis 1");
    x.dispose();
  });
});

describe("sliceRows (a block of rows, read in place on WASM, with a gradient)", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    for (const [begin, size] of [
      [0, 4],
      [2, 3],
      [4, 2],
    ] as const) {
      it(`equals TensorFlow.js's slice of rows [${begin}, ${begin + size}) and its gradient on ${backend}`, async () => {
        await useBackend(backend);
        const x = tf.randomNormal([6, 5], 0, 1, "float32", 2) as tf.Tensor2D;
        const weights = tf.randomNormal([size, 5], 0, 1, "float32", 3);
        const ours = sliceRows(x, begin, size);
        const expected = tf.slice(x, [begin, 0], [size, 5]);
        expect(ours.shape).toEqual([size, 5]);
        expect(Array.from(ours.dataSync())).toEqual(Array.from(expected.dataSync()));
        const gradient = (slice: (t: tf.Tensor2D) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(slice(t as tf.Tensor2D), weights)))(x);
        const [dOurs, dExpected] = [gradient((t) => sliceRows(t, begin, size)), gradient((t) => tf.slice(t, [begin, 0], [size, 5]))];
        expect(Array.from(dOurs.dataSync())).toEqual(Array.from(dExpected.dataSync()));
        // The gradient is not all zero: the comparison above is not passed by two zero tensors.
        expect(Array.from(dOurs.dataSync()).some((v) => v !== 0)).toBe(true);
        tf.dispose([x, weights, ours, expected, dOurs, dExpected]);
      });
    }
  }

  it("says which rows do not lie in the tensor", async () => {
    await useBackend("cpu");
    const x = tf.zeros([4, 2]) as tf.Tensor2D;
    expect(() => sliceRows(x, 3, 2)).toThrow("sliceRows: rows [3, 5) do not lie in [4,2]");
    x.dispose();
  });
});
