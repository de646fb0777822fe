/**
 * Identity on WASM shares its input's data (runtime/kernels/shared-identity.ts),
 * as TensorFlow.js's CPU backend does: a clone reads the same values, and
 * disposing either tensor leaves the other whole.
 */
import { describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { shareIdentityOnWasm } from "../../runtime/kernels/shared-identity.js";

describe("Identity on WASM", () => {
  it("shares data with one more reference, and each tensor outlives the other's disposal", async () => {
    await useBackend("wasm");
    shareIdentityOnWasm();
    const before = tf.memory().numBytes;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    const backend = tf.backend() as unknown as { refCount(dataId: object): number };
    expect(y.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(backend.refCount(y.dataId)).toBe(1);
    const z = tf.clone(y);
    y.dispose();
    expect(Array.from(tf.add(z, 1).dataSync())).toEqual([2, 3, 4, 5, 6, 7]);
    z.dispose();
    expect(tf.memory().numBytes).toBeLessThanOrEqual(before + 4 * 6);
    const s = tf.clone(tf.tensor1d(["a", "b"], "string"));
    expect(s.dataSync()).toEqual(["a", "b"]);
  });
});
