/** The input's finite check runs once per tensor (its values never change), and again for a variable (whose values do). */
import { describe, expect, it, vi } from "vitest";
import { tf } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

describe("the input's finite check", () => {
  it("scans a tensor on its first call only, and gives the same outputs every call", async () => {
    const model = await buildModel("network M { input 4 dense 3 output 2 }");
    const x = tf.tensor2d([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [2, 4]);
    // On the CPU backend the check reads the tensor's values in JavaScript, through dataSync; the kernels read the backend's.
    const reads = vi.spyOn(x, "dataSync");
    const first = (model.predict(x) as tf.Tensor).arraySync();
    expect(reads).toHaveBeenCalledTimes(1);
    const again = (model.predict(x) as tf.Tensor).arraySync();
    expect(reads).toHaveBeenCalledTimes(1);
    expect(again).toEqual(first);
    const other = tf.tensor2d([0.1, 0.2, 0.3, Number.NaN, 0.5, 0.6, 0.7, 0.8], [2, 4]);
    expect(() => model.predict(other)).toThrow("M.predict: input sample 0 holds NaN at entry 3; inputs must be finite numbers");
    tf.dispose([x, other]);
  });

  it("scans a variable on every call: assigning changes its values", async () => {
    const model = await buildModel("network M { input 4 dense 3 output 2 }");
    const x = tf.variable(tf.tensor2d([0.1, 0.2, 0.3, 0.4], [1, 4]));
    tf.dispose(model.predict(x));
    x.assign(tf.tensor2d([0.1, Number.POSITIVE_INFINITY, 0.3, 0.4], [1, 4]));
    expect(() => model.predict(x)).toThrow("M.predict: input sample 0 holds Infinity at entry 1; inputs must be finite numbers");
    x.dispose();
  });
});
