/** The input check on the native part (kernels/native/finite.ts): finds the first NaN or infinity where it lies, as the JavaScript scan did. */
import { beforeAll, describe, expect, it } from "vitest";
import { createNetwork, tf, useBackend } from "../../runtime/index.js";
import { nativeStatus } from "../../runtime/kernels/native/index.js";
import { nativeNonFiniteIndex } from "../../runtime/kernels/native/finite.js";
import { analyze, networkSpec } from "../../src/index.js";

describe.runIf(nativeStatus().available)("the native input check", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("finds the first non-finite entry past its 64 Ki blocks, and −1 for none", () => {
    const values = new Float32Array(300_000).fill(0.5);
    const x = tf.tensor1d(values);
    expect(nativeNonFiniteIndex(x)).toBe(-1);
    x.dispose();
    for (const [at, bad] of [
      [0, Number.NaN],
      [65_535, Number.POSITIVE_INFINITY],
      [200_001, Number.NEGATIVE_INFINITY],
    ] as const) {
      const copy = values.slice();
      copy[at] = bad;
      copy[299_999] = Number.NaN;
      const t = tf.tensor1d(copy);
      expect(nativeNonFiniteIndex(t)).toBe(at);
      t.dispose();
    }
  });

  it("lets predict name the sample and entry, as before", async () => {
    const model = await createNetwork(networkSpec(analyze("network M { input 784 dense 30 output 10 }").plans![0]!), { backend: "wasm" });
    const values = new Float32Array(4 * 784).fill(0.1);
    values[2 * 784 + 17] = Number.POSITIVE_INFINITY;
    const x = tf.tensor2d(values, [4, 784]);
    expect(() => model.predict(x)).toThrow("M.predict: input sample 2 holds Infinity at entry 17; inputs must be finite numbers");
    x.dispose();
    model.dispose();
  });
});
