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

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tolerance);
}

/**
 * The pruned network's gradients against the zeroed one's: equal wherever a
 * weight is live, exactly zero where the mask prunes it (the zeroed network,
 * its mask all ones, gives those weights a gradient). Every conv weight
 * gradient must also be non-zero somewhere, so gradients that never reach
 * the feature layers cannot pass.
 */
function expectSameGradients(model: Model, a: Float32Array[], b: Float32Array[], masks: Record<string, Uint8Array>, tolerance: number): void {
  model.parameters.forEach((parameter, i) => {
    const mask = masks[parameter.name.replace(/\.weight$/, "")];
    const live = parameter.name.endsWith(".weight") ? mask : undefined;
    const [ours, theirs] = [a[i]!, b[i]!];
    expect(ours.length, parameter.name).toBe(theirs.length);
    for (let k = 0; k < ours.length; k++) {
      if (live !== undefined && live[k] === 0) expect(ours[k], `${parameter.name}[${k}]`).toBe(0);
      else expect(Math.abs(ours[k]! - theirs[k]!), `${parameter.name}[${k}]`).toBeLessThan(tolerance);
    }
    if (parameter.name.startsWith("conv") && parameter.name.endsWith(".weight")) expect(Math.max(...ours.map(Math.abs)), parameter.name).toBeGreaterThan(1e-3);
  });
}

/** Zeroes `mask`'s weights of a conv in `zeroed` and sets it as the mask of the same conv in `pruned`. */
function prune(pruned: Model, zeroed: Model, conv: string, mask: Uint8Array): void {
  pruned.setMask(conv, mask);
  const weight = zeroed.parameters.find((p) => p.name === `${conv}.weight`)!.variable;
  weight.assign(tf.mul(weight, tf.tensor(Float32Array.from(mask), weight.shape)));
}

/** A mask over an HWIO weight that prunes output channels `channels` (the output channel is the last index). */
function channelMask(model: Model, feature: number, channels: readonly number[]): Uint8Array {
  const [kh, kw, cin, cout] = model.features[feature]!.weightShape!;
  return Uint8Array.from({ length: kh * kw * cin * cout }, (_, k) => (channels.includes(k % cout) ? 0 : 1));
}

// A pruned channel read by a same-padded conv (whose borders see the padding), through batch norm, pooling and relu.
const padded = `network Q {
  input [2, 10, 12]
  features [conv(6, kernel=3, padding=same), batch_norm(), max_pool(2), conv(5, kernel=3, padding=same), batch_norm(), avg_pool(2)]
  output 4
}`;

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
    const mask = channelMask(pruned, 0, [1, 3]);
    prune(pruned, zeroed, "conv1", mask);

    expectClose(pruned.predict(x).dataSync(), zeroed.predict(x).dataSync());
    const a = lossAndGradients(pruned, x, y);
    const b = lossAndGradients(zeroed, x, y);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expectSameGradients(pruned, a.gradients, b.gradients, { conv1: mask }, 1e-5);
    tf.dispose([x, y]);
    pruned.dispose();
    zeroed.dispose();
  });

  it("is carried without its channel through padded convs, pooling and batch norm, in training and with running statistics", async () => {
    const pruned = await buildModel(padded, { seed: 9, backend });
    const zeroed = await buildModel(padded, { seed: 9, backend });
    const x = tf.randomUniform([4, 2, 10, 12], -1, 1, "float32", 3);
    const y = tf.oneHot(tf.tensor1d([0, 3, 1, 2], "int32"), 4);
    // Biases away from zero, so a pruned channel's constant (bias, then batch norm's shift) is not zero either.
    for (const model of [pruned, zeroed]) {
      model.parameters.find((p) => p.name === "conv1.bias")!.variable.assign(tf.tensor1d([0.3, -0.2, 0.1, 0.5, -0.4, 0.2]));
      model.parameters.find((p) => p.name === "bn1.shift")!.variable.assign(tf.tensor1d([0.1, 0.6, -0.3, 0.4, 0.2, -0.5]));
    }
    const masks = { conv1: channelMask(pruned, 0, [1, 4]), conv2: channelMask(pruned, 3, [0, 2, 3]) };
    prune(pruned, zeroed, "conv1", masks.conv1);
    prune(pruned, zeroed, "conv2", masks.conv2);
    const a = lossAndGradients(pruned, x, y);
    const b = lossAndGradients(zeroed, x, y);
    // The zeroed network normalises a constant channel by the rounding left in (c − mean c) · 1/√ε, float32 noise that
    // reaches 1e-5 in the loss and a few 1e-5 in gradients; the pruned one normalises it exactly.
    expect(a.loss).toBeCloseTo(b.loss, 4);
    expectSameGradients(pruned, a.gradients, b.gradients, masks, 1e-4);
    // The training passes above moved the running statistics; inference reads them.
    expectClose(pruned.predict(x).dataSync(), zeroed.predict(x).dataSync(), 1e-4);
    tf.dispose([x, y]);
    pruned.dispose();
    zeroed.dispose();
  });
});
