/**
 * Pruning that pays: after masks change, a model runs each kernel as the cost
 * model decides for its live connections — a dense layer pruned far enough
 * runs sparse (over its live connections only), and goes back to dense when
 * connections come back — and nothing it computes changes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createNetwork, prune, tf, useBackend, type Model } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

const SOURCE = "network LeNet { input 784 dense 300 dense 100 output 10 }";

function lenet(): Promise<Model> {
  return createNetwork(networkSpec(analyze(SOURCE).plans![0]!), { backend: "wasm", seed: 3 });
}

const batch = (): { x: tf.Tensor2D; y: tf.Tensor2D } => ({
  x: tf.randomUniform([40, 784], -1, 1, "float32", 5) as tf.Tensor2D,
  y: tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: 40 }, (_, i) => (i * 3) % 10),
      "int32",
    ),
    10,
  ) as tf.Tensor2D,
});

/** Logits and every parameter's gradient of the cross-entropy, as plain arrays. */
function outputsAndGradients(model: Model, x: tf.Tensor2D, y: tf.Tensor2D): { logits: Float32Array; grads: Float32Array[] } {
  const logits = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
  const variables = model.parameters.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x)) as tf.Scalar, variables);
  const out = variables.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  return { logits, grads: out };
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** The same masks on a second model that keeps every kernel dense (execution "dense"): the reference. */
async function denseTwin(model: Model): Promise<Model> {
  const twin = await createNetwork(networkSpec(analyze(SOURCE).plans![0]!), { backend: "wasm", seed: 3, execution: "dense" });
  for (const b of model.blocks) twin.setMask(b.name, model.getMask(b.name));
  return twin;
}

describe("re-planning after masks change", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("runs LeNet-300-100 dense, then sparse after pruning 95%, with the outputs and gradients of the dense plan", async () => {
    const model = await lenet();
    const { x, y } = batch();
    expect(model.execution.map((s) => s.kind)).toEqual(["dense", "dense", "dense"]);
    prune(model, { amount: { percent: 95 } });
    // The first layer keeps under 1% of its connections: it runs as a graph kernel now.
    expect(model.execution.filter((s) => s.kind === "graph").flatMap((s) => s.layers)).toContain("dense1");
    const twin = await denseTwin(model);
    expect(twin.execution.map((s) => s.kind)).toEqual(["dense", "dense", "dense"]);
    const ours = outputsAndGradients(model, x, y);
    const reference = outputsAndGradients(twin, x, y);
    expectClose(ours.logits, reference.logits, 1e-5);
    ours.grads.forEach((g, i) => expectClose(g, reference.grads[i]!, 1e-5));
    // Pruned connections get exactly zero, as under the masked dense kernel.
    const first = model.parameters.findIndex((p) => p.name === "dense1.weight");
    const mask = model.getMask("input->dense1");
    const movedWhilePruned = ours.grads[first]!.filter((g, e) => mask[e] === 0 && g !== 0).length;
    expect(movedWhilePruned).toBe(0);
    expect(ours.grads[first]!.some((g) => g !== 0)).toBe(true);
    [model, twin].forEach((m) => m.dispose());
    tf.dispose([x, y]);
  });

  it("goes back to dense when the connections come back, and re-plans inside a caller's tf.tidy without losing tensors", async () => {
    const model = await lenet();
    const { x } = batch();
    const before = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
    const masks = model.blocks.map((b) => model.getMask(b.name));
    prune(model, { amount: { percent: 95 } });
    const pruned = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
    expect(model.execution.some((s) => s.kind === "graph")).toBe(true);
    model.blocks.forEach((b, i) => model.setMask(b.name, masks[i]!));
    const tensors = tf.memory().numTensors;
    const again = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
    expect(model.execution.map((s) => s.kind)).toEqual(["dense", "dense", "dense"]);
    expectClose(again, before, 1e-6);
    expect(Array.from(pruned)).not.toEqual(Array.from(before));
    // A later forward pass still finds the re-made binding's tensors, and makes no new ones.
    expectClose(
      tf.tidy(() => model.predict(x).dataSync() as Float32Array),
      before,
      1e-6,
    );
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors);
    model.dispose();
    x.dispose();
  });

  it("gives switched-off connections their dense gradient for growing, though the pruned kernel leaves them out", async () => {
    const model = await lenet();
    prune(model, { amount: { percent: 95 } });
    const twin = await denseTwin(model);
    const { x, y } = batch();
    const data = { x, y: tf.argMax(y, 1) };
    const ours = model.denseWeightGradients(data);
    const reference = twin.denseWeightGradients(data);
    for (const [block, g] of reference) expectClose(ours.get(block)!, g, 1e-5);
    expect(ours.get("input->dense1")!.some((v, e) => v !== 0 && model.getMask("input->dense1")[e] === 0)).toBe(true);
    [model, twin].forEach((m) => m.dispose());
    tf.dispose([x, y, data.y]);
  });

  it("re-plans after a pruning schedule prunes during fit, and trains on from there as the dense plan would", async () => {
    const source = "network P { input 784 dense 300 dense 100 output 10 prune one_shot(percent=95, epoch=1) }";
    const spec = networkSpec(analyze(source).plans![0]!);
    const model = await createNetwork(spec, { backend: "wasm", seed: 3 });
    const twin = await createNetwork(spec, { backend: "wasm", seed: 3, execution: "dense" });
    const { x, y } = batch();
    const labels = tf.argMax(y, 1);
    expect(model.execution.every((s) => s.kind === "dense")).toBe(true);
    const options = { epochs: 2, batchSize: 20, shuffle: false } as const;
    const [ours, theirs] = [await model.fit({ x, y: labels }, options), await twin.fit({ x, y: labels }, options)];
    expect(model.execution.some((s) => s.kind === "graph")).toBe(true);
    expect(twin.execution.every((s) => s.kind === "dense")).toBe(true);
    // Epoch 2 ran on the re-planned kernels: the same losses as the dense plan, to float32 rounding.
    ours.epochs.forEach((e, i) => expect(Math.abs(e.loss - theirs.epochs[i]!.loss)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(theirs.epochs[i]!.loss))));
    expect(ours.epochs.length).toBe(2);
    expectClose(
      tf.tidy(() => model.predict(x).dataSync() as Float32Array),
      tf.tidy(() => twin.predict(x).dataSync() as Float32Array),
      1e-4,
    );
    [model, twin].forEach((m) => m.dispose());
    tf.dispose([x, y, labels]);
  });
});
