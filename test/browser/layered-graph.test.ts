/**
 * The member-by-member graph kernel of the GPU backends (runtime/kernels/gpu/
 * layered-graph.ts) with its gather-ops product, run in Node on the CPU
 * backend against the WebAssembly graph kernel on the same inputs: outputs
 * and gradients for the input, every weight and every bias, with a mask that
 * switches connections off, masked and unmasked weight gradients. (The WGSL
 * product runs only in a browser: backends.test.ts.)
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/index.js";
import { disposeGraphStructure, graphKernel, graphStructure, type GraphStructureInput } from "../../runtime/kernels/graph/graph-kernel.js";
import { disposeLayeredStructure, layeredGraphKernel, layeredStructure } from "../../runtime/kernels/gpu/layered-graph.js";
import { disposeSparseOpsStructure, sparseDenseOps, sparseOpsStructure } from "../../runtime/kernels/gpu/sparse-ops.js";

/** A deterministic pseudo-random sequence in [0, 1) (a linear congruential generator). */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const INPUTS = 6;
const SIZES = [5, 4, 3];

/** Three members; each neuron reads 1–3 random earlier columns (external inputs or earlier members' neurons), no pair twice. */
function structureInput(): GraphStructureInput {
  const next = sequence(7);
  let offset = 0;
  const members = SIZES.map((size) => {
    const [sources, targets]: [number[], number[]] = [[], []];
    for (let t = 0; t < size; t++) {
      const picked = new Set<number>();
      const count = 1 + Math.floor(next() * 3);
      while (picked.size < count) picked.add(Math.floor(next() * (INPUTS + offset)));
      for (const s of picked) (sources.push(s), targets.push(offset + t));
    }
    offset += size;
    return { neurons: size, sources: Int32Array.from(sources), targets: Int32Array.from(targets) };
  });
  // The last member is an output layer: linear.
  return { inputs: INPUTS, activated: offset - SIZES.at(-1)!, members };
}

describe("the GPU backends' graph kernel, member by member with gather ops (in Node, on the CPU backend)", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });
  const input = structureInput();
  const wasm = graphStructure(input);
  const layered = layeredStructure(input, "gather-ops");
  afterAll(() => {
    disposeGraphStructure(wasm);
    disposeLayeredStructure(layered);
  });

  it.each([true, false])("computes what the WebAssembly graph kernel computes, and its gradients (masked weight gradients: %s)", (maskWeightGradient) => {
    const next = sequence(11);
    const batch = 3;
    const x = tf.tensor2d(
      Array.from({ length: batch * INPUTS }, () => next() * 2 - 1),
      [batch, INPUTS],
    );
    const weights = input.members.map((m) => tf.tensor1d(Array.from(m.sources, () => next() * 2 - 1)));
    const biases = SIZES.map((size) => tf.tensor1d(Array.from({ length: size }, () => next() - 0.5)));
    const edges = input.members.reduce((n, m) => n + m.sources.length, 0);
    const mask = tf.tensor1d(Array.from({ length: edges }, (_, e) => (e % 4 === 1 ? 0 : 1)));
    const exports = tf.tensor1d([0, 2, 6, 9, 10, 11], "int32");
    const options = { activation: "tanh", maskWeightGradient } as const;
    const loss =
      (kernel: typeof graphKernel | typeof layeredGraphKernel) =>
      (xx: tf.Tensor, ...parameters: tf.Tensor[]) => {
        const members = parameters.slice(0, SIZES.length).map((weight, k) => ({ weight, bias: parameters[SIZES.length + k] as tf.Tensor1D }));
        const structure = kernel === graphKernel ? wasm : layered;
        const y = (kernel as typeof layeredGraphKernel)(xx as tf.Tensor2D, members, mask, structure as typeof layered, exports, options);
        return tf.sum(tf.mul(y, tf.reshape(tf.range(1, 1 + y.size), y.shape)));
      };
    const args = [x, ...weights, ...biases];
    const expected = tf
      .grads(loss(graphKernel))(args)
      .map((g) => Array.from(g.dataSync()));
    const actual = tf
      .grads(loss(layeredGraphKernel))(args)
      .map((g) => Array.from(g.dataSync()));
    expect(loss(layeredGraphKernel)(x, ...weights, ...biases).dataSync()[0]).toBeCloseTo(loss(graphKernel)(x, ...weights, ...biases).dataSync()[0]!, 4);
    expect(actual.length).toBe(expected.length);
    actual.forEach((values, i) => values.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 4)));
    // A switched-off connection's gradient: zero when masked, not zero when not (so the check can fail).
    const firstWeightGradient = actual[1]!;
    if (maskWeightGradient) expect(Math.abs(firstWeightGradient[1]!)).toBe(0);
    else expect(Math.abs(firstWeightGradient[1]!)).toBeGreaterThan(1e-6);
  });

  it("refuses connections outside its shape and a wrong input width, saying which", () => {
    expect(() => sparseOpsStructure(2, 2, Int32Array.from([0, 2]), Int32Array.from([0, 1]))).toThrow("connection 1 (2 → 1) is outside 2 inputs × 2 outputs");
    const s = sparseOpsStructure(2, 2, Int32Array.from([0, 1]), Int32Array.from([1, 1]));
    expect(() => sparseDenseOps(tf.zeros([1, 3]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, s)).toThrow("x has 3 columns, the structure 2 inputs");
    expect(() => layeredGraphKernel(tf.zeros([1, 5]) as tf.Tensor2D, [], tf.zeros([0]) as tf.Tensor1D, layered, tf.tensor1d([0], "int32"), { activation: "relu" })).toThrow(
      "0 members given, the structure has 3",
    );
    disposeSparseOpsStructure(s);
  });
});
