/**
 * The native graph kernel split across the native part's threads
 * (native/graph.c on native/pool.c; a kernel this small, its rows within
 * the cores' caches, splits over samples, one piece per thread, where larger
 * ones go in waves, graph-backward-waves.test.ts): outputs and every gradient equal the one-thread
 * kernel's within float32 rounding (the pieces' partial sums of the weight
 * and bias gradients are added at the end, so only their grouping differs),
 * for a batch that splits into unequal parts and a tail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphKernel, graphStructure, disposeGraphStructure } from "../../runtime/kernels/graph/graph-kernel.js";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { createRandom } from "../../runtime/random.js";
import { tf, useBackend } from "../../runtime/index.js";

const [INPUTS, FIRST, SECOND] = [300, 200, 40];

/** Two depths: FIRST neurons from the inputs, SECOND from both; ~9,000 connections, enough for the kernel to split. */
function structure(seed: number) {
  const random = createRandom(seed);
  const members = [
    { neurons: FIRST, from: INPUTS, before: 0 },
    { neurons: SECOND, from: INPUTS + FIRST, before: FIRST },
  ].map(({ neurons, from, before }) => {
    const [sources, targets] = [[] as number[], [] as number[]];
    for (let t = 0; t < neurons; t++) for (let s = 0; s < from; s++) if (random.next() < 0.08) [sources.push(s), targets.push(before + t)];
    return { neurons, sources: Int32Array.from(sources), targets: Int32Array.from(targets) };
  });
  return { members, random };
}

function gradientsOn(threads: number, batch: number) {
  setNativeThreads(threads);
  const { members, random } = structure(3);
  const s = graphStructure({ inputs: INPUTS, activated: FIRST, members });
  const weights = members.map((m) => tf.tensor1d(Float32Array.from(m.sources, () => random.uniform(-0.3, 0.3))));
  const biases = members.map((m) => tf.tensor1d(Float32Array.from({ length: m.neurons }, () => random.uniform(-0.2, 0.2))));
  const mask = tf.ones([members.reduce((n, m) => n + m.sources.length, 0)]) as tf.Tensor1D;
  const exports = tf.tensor1d(
    Int32Array.from({ length: SECOND }, (_, i) => FIRST + i),
    "int32",
  );
  const x = tf.tensor2d(
    Float32Array.from({ length: batch * INPUTS }, () => random.uniform(-1, 1)),
    [batch, INPUTS],
  );
  const f = (xx: tf.Tensor, ...p: tf.Tensor[]): tf.Scalar => {
    const y = graphKernel(
      xx as tf.Tensor2D,
      [0, 1].map((k) => ({ weight: p[k]!, bias: p[2 + k] as tf.Tensor1D })),
      mask,
      s,
      exports,
      { activation: "tanh" },
    );
    return tf.sum(tf.mul(y, y));
  };
  const y = tf.tidy(() =>
    graphKernel(
      x,
      [0, 1].map((k) => ({ weight: weights[k]!, bias: biases[k]! })),
      mask,
      s,
      exports,
      { activation: "tanh" },
    ).dataSync(),
  );
  const grads = tf
    .grads(f)([x, ...weights, ...biases])
    .map((g) => g.dataSync());
  disposeGraphStructure(s);
  tf.dispose([...weights, ...biases, mask, exports, x]);
  return { y, grads, edges: mask.size };
}

function expectClose(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array, tolerance: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe.runIf(nativeStatus().available)("the native graph kernel on two threads", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterAll(() => setNativeThreads(1));

  it.each([256, 200])("gives the one-thread outputs and gradients at batch %i", (batch) => {
    const one = gradientsOn(1, batch);
    const two = gradientsOn(2, batch);
    const bp = Math.ceil(batch / 16) * 16;
    const blas = nativeStatus() as { blas: NativeBlas };
    setNativeThreads(2);
    expect(blas.blas.graphThreads!(one.edges, bp)).toEqual([2, 2]);
    // Small kernels stay on one thread (a thread's start would cost more than it saves).
    expect(blas.blas.graphThreads!(100, bp)).toEqual([1, 1]);
    setNativeThreads(1);
    expect(blas.blas.graphThreads!(one.edges, bp)).toEqual([1, 1]);
    // Each sample's forward sums run in the same order on either thread: the same bits.
    expect(Array.from(two.y)).toEqual(Array.from(one.y));
    two.grads.forEach((g, i) => expectClose(g, one.grads[i]!, 1e-5));
    // The input's gradient is per sample too.
    expect(Array.from(two.grads[0]!)).toEqual(Array.from(one.grads[0]!));
    expect(one.grads[1]!.some((v) => v !== 0)).toBe(true);
  });
});
