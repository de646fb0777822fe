/**
 * Picking channels of parameters for the pruned forward (pruned-maps.ts):
 * with a gradient every backend runs while one is recorded, else a plain
 * gather.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { pickChannels } from "../kernels/conv/channels.js";

/**
 * `t` along `axis` at `indices`. pickChannels' gradient exists for WASM,
 * which cannot take a gather's; with no gradient being recorded (inference)
 * a plain gather does, without the custom gradient's scope, which cost a
 * cell network's forward about a fifth of its time.
 */
export function gatherChannels<T extends tf.Tensor>(t: T, indices: readonly number[], axis: number = t.rank - 1): T {
  return tf.engine().isTapeOn() ? pickChannels(t, indices, axis) : (tf.gather(t, Array.from(indices), axis) as T);
}

/** `t` along `axis` at `indices`, or `t` itself when they are all its channels in order. */
export function pick<T extends tf.Tensor>(t: T, indices: readonly number[], axis: number = t.rank - 1): T {
  const whole = indices.length === t.shape[axis] && indices.every((c, k) => c === k);
  return whole ? t : gatherChannels(t, indices, axis);
}

/**
 * The [rows, cols, inputs, outputs] part of an HWIO kernel: one gather over
 * its flattened in × out axis, where picking each axis in turn took two (on
 * WASM a gather costs about what a small conv does).
 */
export function pickKernel(t: Tensor4D, inputs: readonly number[], outputs: readonly number[]): Tensor4D {
  const [rows, cols, cin, cout] = t.shape;
  const whole = (indices: readonly number[], size: number): boolean => indices.length === size && indices.every((c, k) => c === k);
  if (whole(inputs, cin) && whole(outputs, cout)) return t;
  const entries = inputs.flatMap((i) => outputs.map((o) => i * cout + o));
  return tf.reshape(gatherChannels(tf.reshape(t, [rows * cols, cin * cout]), entries, 1), [rows, cols, inputs.length, outputs.length]);
}
