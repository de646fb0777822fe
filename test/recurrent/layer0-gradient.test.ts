import { describe, expect, it } from "vitest";
import { tf } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

/** The largest |gradient| of the loss sum(predict(x)) over the named parameter. */
async function largestGradient(source: string, shape: number[], parameter: string, execution: "dense" | "sparse"): Promise<number> {
  const model = await buildModel(source.replace("EXECUTION", execution), { seed: 2 });
  const variable = model.parameters.find((p) => p.name === parameter)!.variable;
  const x = tf.randomNormal(shape, 0, 1, "float32", 5);
  const { grads } = tf.variableGrads(() => tf.sum(model.predict(x)) as tf.Scalar, [variable]);
  const largest = Math.max(...Array.from(grads[variable.name]!.dataSync(), Math.abs));
  tf.dispose([x, ...Object.values(grads)]);
  model.dispose();
  return largest;
}

describe("layer 0 made by trained layers passes its gradient back", () => {
  // Kernels reading the raw input skip its gradient; when layer 0 is a recurrent stack's or conv's output they must not.
  for (const execution of ["dense", "sparse"] as const) {
    it(`reaches recurrent weights (${execution} kernels after the stack)`, async () => {
      const source = "network R { input [4, 2] recurrent gru(hidden=6) dense 5 output 3 execution EXECUTION }";
      expect(await largestGradient(source, [3, 4, 2], "gru1.inputWeight", execution)).toBeGreaterThan(1e-4);
    });

    it(`reaches conv weights (${execution} kernels after the features)`, async () => {
      const source = "network C { input [1, 6, 6] features [conv(2, kernel=3)] dense 5 output 3 execution EXECUTION }";
      expect(await largestGradient(source, [3, 1, 6, 6], "conv1.weight", execution)).toBeGreaterThan(1e-4);
    });
  }
});
