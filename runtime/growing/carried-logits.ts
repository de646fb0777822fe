/**
 * Learned mask logits while growInto fills in a grown network. Every
 * `…maskLogits` parameter (a dense kernel's, a conv's, a recurrent
 * weight's: two logits (keep, drop) per entry) starts as the grown network
 * made it — what a fresh network of that kind starts with, the keep
 * probability `learnable.keep` — and takes the old network's pair wherever
 * an entry corresponds to an old one.
 *
 * While the transfers run, both networks' learned masks are held open (keep
 * above drop), so `getMask` gives their static masks and `getWeights` the
 * weights under them: growth carries the static mask with the logits, so
 * the grown network computes with the same mask as the old one and an entry
 * the logits closed can reopen as it could there. (Carrying the combined
 * mask instead would make such entries static zeros for good; and with
 * keep ≤ ½ a fresh network's logits close every new entry, which written
 * back by `setMask` would leave them no way to open.) The old network gets
 * its logits back whatever happens (`release`).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model, Parameter } from "../model.js";

const SUFFIX = ".maskLogits";

export interface CarriedLogits {
  /** Gives entry `to` of `weight`'s logits in the grown network the old network's pair at entry `from`, if both networks learn that weight's mask. */
  carry(weight: string, to: number, from: number): void;
  /** Writes the logits (fresh ones, and the carried pairs) into the grown network's parameters. */
  commit(): void;
  /** Gives the old network back its own logits. */
  release(): void;
}

function assign(parameter: Parameter, values: Float32Array): void {
  const tensor = tf.tensor(values, parameter.variable.shape, "float32");
  parameter.variable.assign(tensor);
  tensor.dispose();
}

/** Each learned mask's logits of `model` (copies), by weight name, after which they are held open. */
function holdOpen(model: Model): Map<string, { parameter: Parameter; values: Float32Array }> {
  const held = new Map<string, { parameter: Parameter; values: Float32Array }>();
  for (const parameter of model.parameters) {
    if (!parameter.name.endsWith(SUFFIX)) continue;
    const values = parameter.variable.dataSync().slice() as Float32Array;
    held.set(parameter.name.slice(0, -SUFFIX.length), { parameter, values });
    assign(
      parameter,
      Float32Array.from(values, (_, i) => (i % 2 === 0 ? 1 : 0)),
    );
  }
  return held;
}

/** Reads both networks' logits and holds their learned masks open until `commit` (the grown network) and `release` (the old one). */
export function openLearnedMasks(old: Model, grown: Model): CarriedLogits {
  const before = holdOpen(old);
  let after: ReturnType<typeof holdOpen>;
  try {
    after = holdOpen(grown);
  } catch (error) {
    for (const { parameter, values } of before.values()) assign(parameter, values);
    throw error;
  }
  return {
    carry(weight, to, from) {
      const [source, target] = [before.get(weight)?.values, after.get(weight)?.values];
      if (source === undefined || target === undefined) return;
      target[2 * to] = source[2 * from]!;
      target[2 * to + 1] = source[2 * from + 1]!;
    },
    commit() {
      for (const { parameter, values } of after.values()) assign(parameter, values);
    },
    release() {
      for (const { parameter, values } of before.values()) assign(parameter, values);
    },
  };
}
