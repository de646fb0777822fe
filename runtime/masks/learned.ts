/**
 * Learnable masks over conv and recurrent weights (dense blocks keep theirs
 * in their kernel stores: storage/kernel-store.ts). For each such weight the
 * spec's `learnable.blocks` names (`conv1`, `cell3.conv1`, `lstm1.input`,
 * `lstm1.hidden`), two logits (keep, drop) per entry, shaped
 * `[...weight shape, 2]`, trained with the other parameters; the kernel
 * computes with the static mask times the hardened keep probability
 * (kernels/learnable-mask.ts: binary forward, straight-through gradient).
 * The logits are parameters named `${weight}.maskLogits`
 * (`conv1.maskLogits`, `lstm1.hidden.maskLogits`), so files save them.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Variable } from "@tensorflow/tfjs-core";
import { hardKeep, initialLogits, keepProbability } from "../kernels/learnable-mask.js";
import type { LearnableMaskSpec } from "../spec.js";

export interface LearnedMask {
  readonly logits: Variable;
  readonly temperature: number;
}

/** Learned masks by weight name; empty when the spec learns none outside dense blocks. */
export type LearnedMasks = ReadonlyMap<string, LearnedMask>;

/**
 * Logits for each of `weights` (name and mask shape) that `learnable` names.
 * @throws Error for a name that is neither one of `weights` nor one of `denseBlocks` (whose masks their kernel stores learn).
 */
export function createLearnedMasks(
  learnable: LearnableMaskSpec | undefined,
  weights: readonly { name: string; shape: readonly number[] }[],
  denseBlocks: readonly string[],
): Map<string, LearnedMask> {
  const result = new Map<string, LearnedMask>();
  if (learnable === undefined) return result;
  const named = new Set(learnable.blocks);
  const known = [...denseBlocks, ...weights.map((w) => w.name)];
  const unknown = learnable.blocks.find((name) => !known.includes(name));
  if (unknown !== undefined) throw new Error(`learnable masks name unknown weight '${unknown}'; the weights are ${known.map((n) => `'${n}'`).join(", ")}`);
  for (const { name, shape } of weights) {
    if (!named.has(name)) continue;
    const size = shape.reduce((a, b) => a * b, 1);
    const initial = tf.tensor(initialLogits(size, learnable.keep, learnable.temperature), [...shape, 2]);
    result.set(name, { logits: tf.variable(initial, true), temperature: learnable.temperature });
    initial.dispose();
  }
  return result;
}

/** The mask a kernel computes with: `staticMask` itself, or times the hardened keep probability (a gradient reaches the logits). */
export function effectiveMask<T extends Tensor>(staticMask: T, learned: LearnedMask | undefined): T {
  return learned === undefined ? staticMask : (tf.mul(staticMask, hardKeep(learned.logits, learned.temperature)) as T);
}

/** The 0/1 mask computed with now: `staticMask`, and where it learns, only entries whose keep logit exceeds the drop logit. */
export function currentMask(staticMask: Uint8Array, learned: LearnedMask | undefined): Uint8Array {
  if (learned === undefined) return staticMask;
  const logits = learned.logits.dataSync();
  return staticMask.map((m, e) => (m === 1 && logits[2 * e]! > logits[2 * e + 1]! ? 1 : 0));
}

/** Σ keep probability over the entries the static masks allow, and their count: the penalty's share of these masks. */
export function keptAndAllowed(learned: LearnedMasks, staticMask: (name: string) => Tensor): [Tensor, Tensor][] {
  return [...learned].map(([name, m]) => {
    const allowed = staticMask(name);
    return [tf.sum(tf.mul(keepProbability(m.logits, m.temperature), allowed)), tf.sum(allowed)];
  });
}

/** Named as parameters: `${weight}.maskLogits`. */
export function learnedParameters(learned: LearnedMasks): { name: string; variable: Variable }[] {
  return [...learned].map(([name, m]) => ({ name: `${name}.maskLogits`, variable: m.logits }));
}

export function disposeLearnedMasks(learned: LearnedMasks): void {
  tf.dispose([...learned.values()].map((m) => m.logits));
}
