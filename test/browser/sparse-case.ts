/**
 * The sparse WebGPU kernel's case, computed the same way in the page (with
 * the kernel) and in Node (dense, on the CPU backend, as the reference):
 * a fixed mask, weights and input, `sum((x · (W ⊙ M))²)` and its gradients.
 */
import * as tf from "@tensorflow/tfjs-core";
import "../../runtime/gradients.js";
import { sparseDenseWebGPU, sparseStructure } from "../../runtime/kernels/gpu/sparse-webgpu.js";

export const CASE = { batch: 5, inputs: 13, outputs: 7 };

export function caseMask(): number[] {
  return Array.from({ length: CASE.inputs * CASE.outputs }, (_, k) => ((k * 7 + 3) % 5 < 2 ? 1 : 0));
}
/** One weight per live connection, in target order (outputs major, then sources). */
export function caseWeights(count: number): number[] {
  return Array.from({ length: count }, (_, e) => Math.cos(e * 1.3) * 0.7);
}
export function caseInput(): number[] {
  return Array.from({ length: CASE.batch * CASE.inputs }, (_, k) => Math.sin(k * 0.61));
}

export interface SparseResult {
  readonly backend: string;
  readonly y: number[];
  readonly dx: number[];
  readonly dw: number[];
}

/** Runs the kernel on the current backend (webgpu). */
export async function runSparseKernel(): Promise<SparseResult> {
  const structure = sparseStructure(caseMask(), CASE.inputs, CASE.outputs);
  const x = tf.tensor2d(caseInput(), [CASE.batch, CASE.inputs]);
  const w = tf.tensor1d(caseWeights(structure.connections));
  const y = sparseDenseWebGPU(x, w, structure);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(sparseDenseWebGPU(a as tf.Tensor2D, b as tf.Tensor1D, structure))))([x, w]);
  return { backend: tf.getBackend(), y: Array.from(await y.data()), dx: Array.from(await dx!.data()), dw: Array.from(await dw!.data()) };
}

/** The same with a dense masked product (any backend): the reference. */
export function denseReference(): Omit<SparseResult, "backend"> {
  const mask = caseMask();
  const live: number[] = [];
  for (let j = 0; j < CASE.outputs; j++) for (let i = 0; i < CASE.inputs; i++) if (mask[i * CASE.outputs + j]) live.push(i * CASE.outputs + j);
  const weights = caseWeights(live.length);
  const dense = new Float32Array(CASE.inputs * CASE.outputs);
  live.forEach((position, e) => (dense[position] = weights[e]!));
  const x = tf.tensor2d(caseInput(), [CASE.batch, CASE.inputs]);
  const W = tf.tensor2d(dense, [CASE.inputs, CASE.outputs]);
  const y = tf.matMul(x, W);
  const [dx, dW] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D))))([x, W]);
  const dWValues = dW!.dataSync();
  return { y: Array.from(y.dataSync()), dx: Array.from(dx!.dataSync()), dw: live.map((position) => dWValues[position]!) };
}
