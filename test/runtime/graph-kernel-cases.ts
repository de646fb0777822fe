/**
 * The graph kernel's test cases and their float64 reference, shared by
 * graph-kernel.test.ts and the threaded-WASM tests (whose child process runs
 * the cases on TensorFlow.js's threaded build): no test framework in here.
 */
import * as tf from "@tensorflow/tfjs-core";
import { graphKernel, graphStructure, type GraphMember } from "../../runtime/kernels/graph/graph-kernel.js";
import { columnPick, gatherColumns } from "../../runtime/kernels/gather-columns.js";
import { createRandom } from "../../runtime/random.js";
import "../../runtime/gradients.js";
import type { ActivationName } from "../../runtime/spec.js";

export const ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "linear"] as const;

/**
 * A random kernel: `inputs` external columns, two members (say two depths)
 * of 4 and 3 neurons where the second reads the first and the inputs; the
 * last `linear` neurons are an output layer.
 */
export function randomCase(seed: number, inputs: number, linear: number) {
  const random = createRandom(seed);
  const sizes = [4, 3];
  const members = sizes.map((size, k) => {
    const before = sizes.slice(0, k).reduce((a, b) => a + b, 0);
    const sources: number[] = [];
    const targets: number[] = [];
    // Sources: any input column or any neuron of an earlier member.
    for (let s = 0; s < inputs + before; s++) {
      for (let t = 0; t < size; t++) {
        if (random.next() < 0.5) {
          sources.push(s);
          targets.push(before + t);
        }
      }
    }
    return { neurons: size, sources: Int32Array.from(sources), targets: Int32Array.from(targets) };
  });
  const weights = members.map((m) => Float64Array.from(m.sources, () => random.uniform(-1, 1)));
  const masks = members.map((m) => Float64Array.from(m.sources, (_, e) => (e % 5 === 2 ? 0 : 1)));
  const biases = sizes.map((size) => Float64Array.from({ length: size }, () => random.uniform(-0.5, 0.5)));
  const neurons = sizes.reduce((a, b) => a + b, 0);
  return { members, weights, masks, biases, inputs, neurons, activated: neurons - linear };
}
export type Case = ReturnType<typeof randomCase>;

export const apply: Record<ActivationName, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
};

/** The kernel in float64, neuron by neuron: the reference. Returns [batch][neurons]. */
export function reference(c: Case, x: number[][], activation: ActivationName): number[][] {
  return x.map((row) => {
    const pre = new Float64Array(c.neurons);
    c.biases.forEach((b, k) => b.forEach((v, i) => (pre[k === 0 ? i : c.biases[0]!.length + i] = v)));
    const h = new Float64Array(c.neurons);
    // Edges by target, so every neuron sees its inputs complete.
    const byTarget: [number, number][][] = Array.from({ length: c.neurons }, () => []);
    c.members.forEach((m, k) => m.targets.forEach((t, e) => byTarget[t]!.push([m.sources[e]!, c.weights[k]![e]! * c.masks[k]![e]!])));
    for (let v = 0; v < c.neurons; v++) {
      for (const [s, w] of byTarget[v]!) pre[v]! += w * (s < c.inputs ? row[s]! : h[s - c.inputs]!);
      h[v] = v < c.activated ? apply[activation](pre[v]!) : pre[v]!;
    }
    return Array.from(h);
  });
}

/** A loss that weighs every output differently, so every gradient entry matters. */
export function lossOf(y: number[][]): number {
  return y.reduce((sum, row, b) => sum + row.reduce((s, v, j) => s + Math.sin(v) * (1 + 0.1 * b + 0.03 * j), 0), 0);
}
export function lossTensor(y: tf.Tensor2D): tf.Scalar {
  const [batch, cols] = y.shape;
  const weights = tf.tensor2d(
    Float32Array.from({ length: batch * cols }, (_, i) => 1 + 0.1 * Math.floor(i / cols) + 0.03 * (i % cols)),
    [batch, cols],
  );
  return tf.sum(tf.mul(tf.sin(y), weights));
}

export function run(c: Case, x: number[][], activation: ActivationName, exports: number[], options: { inputNeedsGradient?: boolean; maskWeightGradient?: boolean } = {}) {
  const structure = graphStructure({ inputs: c.inputs, activated: c.activated, members: c.members });
  const xt = tf.tensor2d(x.flat(), [x.length, c.inputs]);
  const members: GraphMember[] = c.members.map((_, k) => ({
    weight: tf.tensor1d(Float32Array.from(c.weights[k]!)),
    bias: tf.tensor1d(Float32Array.from(c.biases[k]!)),
  }));
  const mask = tf.tensor1d(Float32Array.from(c.masks.flatMap((m) => Array.from(m))));
  const exported = tf.tensor1d(exports, "int32");
  const f = (input: tf.Tensor, ...params: tf.Tensor[]): tf.Scalar => {
    const ms = members.map((m, k) => ({ ...m, weight: params[k] as tf.Tensor1D, bias: params[members.length + k] as tf.Tensor1D }));
    return lossTensor(graphKernel(input as tf.Tensor2D, ms, mask, structure, exported, { activation, ...options }));
  };
  const y = graphKernel(xt, members, mask, structure, exported, { activation, ...options }).arraySync();
  const grads = tf.grads(f)([xt, ...members.map((m) => m.weight), ...members.map((m) => m.bias)]);
  const [dx, ...rest] = grads.map((g) => Array.from(g.dataSync()));
  return { y, dx: dx!, dw: rest.slice(0, members.length), db: rest.slice(members.length) };
}

/** Central differences of the float64 reference's loss by one number of the case (h small: the reference is exact). */
export function numeric(c: Case, x: number[][], activation: ActivationName, exports: number[], poke: (c: Case, x: number[][], delta: number) => void): number {
  const h = 1e-6;
  const at = (delta: number): number => {
    const copy: Case = { ...c, weights: c.weights.map((w) => w.slice()), biases: c.biases.map((b) => b.slice()), masks: c.masks.map((m) => m.slice()) };
    const xs = x.map((row) => [...row]);
    poke(copy, xs, delta);
    return lossOf(reference(copy, xs, activation).map((row) => exports.map((j) => row[j]!)));
  };
  return (at(h) - at(-h)) / (2 * h);
}

/** The inputs of graph-kernel.test.ts's case for each activation: 6 samples (not a multiple of 4, so the padded batch is exercised). */
export function activationCase(activation: ActivationName) {
  const c = randomCase(activation.length * 7 + 1, 5, 2);
  const random = createRandom(3);
  const x = Array.from({ length: 6 }, () => Array.from({ length: c.inputs }, () => random.uniform(-1.5, 1.5)));
  return { c, x, exports: [6, 1, 3, 5] };
}

/** The case for growing: switched-off connections get the gradient they would have if on. */
export function growingCase() {
  return {
    c: randomCase(5, 4, 0),
    x: [
      [0.3, -0.2, 0.9, 0.1],
      [-1, 0.5, 0.25, -0.6],
    ],
    exports: [0, 2, 4, 6],
  };
}

/** The case where nothing upstream needs the input's gradient. */
export function noInputGradientCase() {
  return { c: randomCase(9, 3, 0), x: [[1, 2, 3]], exports: [0, 1, 2, 3, 4, 5, 6] };
}

/** The column-pick case: x [5, 7], columns [6, 0, 3, 3, 5] (a repeat), and the gradient of Σ w · x[:, columns]. */
export const PICK_INDICES = [6, 0, 3, 3, 5];
export function pickColumns() {
  const x = tf.tensor2d(
    Float32Array.from({ length: 5 * 7 }, (_, i) => Math.sin(i)),
    [5, 7],
  );
  const pick = columnPick(PICK_INDICES);
  const picked = gatherColumns(x, pick).arraySync();
  const w = tf.tensor2d(
    Float32Array.from({ length: 5 * 5 }, (_, i) => i + 1),
    [5, 5],
  );
  const dx = tf
    .grad((xx: tf.Tensor) => tf.sum(tf.mul(gatherColumns(xx as tf.Tensor2D, pick), w)))(x)
    .arraySync() as number[][];
  return { x: x.arraySync(), w: w.arraySync(), picked, dx };
}
