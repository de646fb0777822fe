import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const source = `network P {
  input [2, 9, 8]
  features [conv(5, kernel=3, stride=2, padding=same), batch_norm(), conv(4, kernel=[2, 2], dilation=2)]
  output 3
}`;

/** Loss and gradients of every parameter, in `model.parameters` order, for a fixed batch. */
function lossAndGradients(model: Model, x: tf.Tensor, y: tf.Tensor): { loss: number; gradients: Float32Array[] } {
  return tf.tidy(() => {
    const variables = model.parameters.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x, { training: true })) as tf.Scalar, variables);
    return { loss: value.dataSync()[0]!, gradients: variables.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  });
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
}

describe.each(["cpu", "wasm"] as const)("a pruned output channel on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("gives the outputs and gradients of the unpruned network with that channel's weights zeroed", async () => {
    const pruned = await buildModel(source, { seed: 4, backend });
    const zeroed = await buildModel(source, { seed: 4, backend });
    const x = tf.randomUniform([3, 2, 9, 8], -1, 1, "float32", 7);
    const y = tf.oneHot(tf.tensor1d([0, 2, 1], "int32"), 3);
    for (const model of [pruned, zeroed]) model.parameters.find((p) => p.name === "conv1.bias")!.variable.assign(tf.tensor1d([0.3, -0.2, 0.1, 0.5, -0.4]));
    // Prune output channels 1 and 3 of conv1 (HWIO: the channel is the last index).
    const [kh, kw, cin, cout] = pruned.features[0]!.weightShape!;
    const mask = Uint8Array.from({ length: kh * kw * cin * cout }, (_, k) => (k % cout === 1 || k % cout === 3 ? 0 : 1));
    pruned.setMask("conv1", mask);
    const weight = zeroed.parameters.find((p) => p.name === "conv1.weight")!.variable;
    weight.assign(tf.mul(weight, tf.tensor(Float32Array.from(mask), weight.shape)));

    expectClose(pruned.predict(x).dataSync(), zeroed.predict(x).dataSync());
    const a = lossAndGradients(pruned, x, y);
    const b = lossAndGradients(zeroed, x, y);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    a.gradients.forEach((g, i) => expectClose(g, b.gradients[i]!));
    // The pruned channels' weights get exactly zero gradient.
    a.gradients[0]!.forEach((g, k) => mask[k] === 0 && expect(Math.abs(g)).toBe(0));
    tf.dispose([x, y]);
    pruned.dispose();
    zeroed.dispose();
  });
});
