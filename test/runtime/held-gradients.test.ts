/**
 * The graph kernel's held gradient buffers (kernels/graph/memory.ts,
 * `Workspace.held`): a pruned kernel's weight gradient is written at its live
 * entries into a buffer kept for its pick, and handed out by reference. A
 * gradient still alive must never change under its holder when the next
 * backward pass runs, every gradient must equal the dense plan's (switched-off
 * entries exactly zero), and the buffer goes with the binding.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createNetwork, prune, tf, useBackend, type Model } from "../../runtime/index.js";
import { loss } from "../../runtime/training/losses.js";
import { analyze, networkSpec } from "../../src/index.js";

const SOURCE = "network LeNet { input 784 dense 300 dense 100 output 10 }";
const spec = () => networkSpec(analyze(SOURCE).plans![0]!);

const inputs = (seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } => ({
  x: tf.randomUniform([24, 784], -1, 1, "float32", seed) as tf.Tensor2D,
  y: tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: 24 }, (_, i) => (i * seed) % 10),
      "int32",
    ),
    10,
  ) as tf.Tensor2D,
});

/** Every parameter's gradient of the cross-entropy, as tensors the caller disposes. */
function gradients(model: Model, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor[] {
  const variables = model.parameters.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => loss("crossEntropy", model.predict(x) as tf.Tensor2D, y), variables);
  value.dispose();
  return variables.map((v) => grads[v.name]!);
}

function worst(a: tf.Tensor, b: tf.Tensor): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  expect(x.length).toBe(y.length);
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return w;
}

describe("held gradient buffers of pruned graph kernels", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("never change a gradient still held, and give the dense plan's gradients step after step", async () => {
    const [model, twin] = [await createNetwork(spec(), { backend: "wasm", seed: 4 }), await createNetwork(spec(), { backend: "wasm", seed: 4, execution: "dense" })];
    prune(model, { amount: { percent: 95 }, scope: "global" });
    for (const b of model.blocks) twin.setMask(b.name, model.getMask(b.name));
    expect(model.execution[0]!.kind).toBe("graph");
    const first = inputs(3);
    const kept = gradients(model, first.x, first.y);
    const snapshot = kept.map((g) => Float32Array.from(g.dataSync()));
    for (let round = 0; round < 3; round++) {
      const { x, y } = inputs(5 + round);
      const [ours, theirs] = [gradients(model, x, y), gradients(twin, x, y)];
      ours.forEach((g, i) => expect(worst(g, theirs[i]!)).toBeLessThanOrEqual(1e-5));
      // dense1's weight: switched-off entries exactly zero, the live ones not all zero.
      const [grad, mask] = [ours[0]!.dataSync(), model.getMask(model.blocks[0]!.name)];
      expect(Array.from(grad).every((v, e) => mask[e] === 1 || v === 0)).toBe(true);
      expect(Array.from(grad).some((v) => v !== 0)).toBe(true);
      tf.dispose([...ours, ...theirs]);
      // The gradients of the first batch, kept all along, are as they were.
      kept.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(snapshot[i]!)));
    }
    tf.dispose(kept);
    [model, twin].forEach((m) => m.dispose());
  });

  it("frees the buffers with the model: the backend holds no more data than after a model that never stepped", async () => {
    const { x, y } = inputs(9);
    /** Data buffers the backend holds after making, pruning and disposing a model that takes `steps` gradients (held buffers are not tensors, so tf.memory() does not see them). */
    const leftAfter = async (steps: number): Promise<number> => {
      const before = tf.backend().numDataIds();
      const model = await createNetwork(spec(), { backend: "wasm", seed: 4 });
      prune(model, { amount: { percent: 95 }, scope: "global" });
      for (let step = 0; step < steps; step++) tf.dispose(gradients(model, x, y));
      model.dispose();
      return tf.backend().numDataIds() - before;
    };
    const idle = await leftAfter(0);
    expect(await leftAfter(3)).toBe(idle);
    tf.dispose([x, y]);
  });
});
