import { describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { splitEqually } from "../../runtime/kernels/heap-split.js";

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
