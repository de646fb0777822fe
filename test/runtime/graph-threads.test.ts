/**
 * The native graph kernel split across the native part's threads
 * (native/graph.c on native/pool.c, split over rows in waves): outputs and
 * every gradient are the one-thread kernel's bit for bit (each neuron's
 * forward sums and each source's backward sums are one thread's, in one
 * order, whatever the split),
 * for a batch that splits into unequal parts and a tail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphKernel, graphStructure, disposeGraphStructure } from "../../runtime/kernels/graph/graph-kernel.js";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { createRandom } from "../../runtime/random.js";
import { tf, useBackend } from "../../runtime/index.js";
import { differingBits } from "./float-bits.js";

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
    .map((g) => g.dataSync() as Float32Array);
  disposeGraphStructure(s);
  tf.dispose([...weights, ...biases, mask, exports, x]);
  return { y, grads, edges: mask.size };
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
    // Each neuron's forward sums run in the same order on either thread: the same bits.
    expect(Array.from(two.y)).toEqual(Array.from(one.y));
    // Each source's gradient row and its connections' weight gradients are one piece's, so one thread's: the same bits.
    two.grads.forEach((g, i) => expect(differingBits(g, one.grads[i]!), `gradient ${i}`).toBe(0));
    expect(one.grads[1]!.some((v) => v !== 0)).toBe(true);
  });
});
