/**
 * Learned mask logits while growInto fills in a grown network. Every
 * `…maskLogits` parameter (a dense kernel's, a conv's, a recurrent
 * weight's: two logits (keep, drop) per entry) starts as the grown network
 * made it — what a fresh network of that kind starts with, the keep
 * probability `learnable.keep` — and takes the old network's pair wherever
 * an entry corresponds to an old one.
 *
 * The transfers run with both networks' learned masks held open
 * (masks/static.ts), so `getMask` gives their static masks and `getWeights`
 * the weights under them: growth carries the static mask with the logits,
 * so the grown network computes with the same mask as the old one and an
 * entry the logits closed can reopen as it could there. (Carrying the
 * combined mask instead would make such entries static zeros for good; and
 * with keep ≤ ½ a fresh network's logits close every new entry, which
 * written back by `setMask` would leave them no way to open.)
 */
import type { Model } from "../model.js";
import { maskLogits } from "../masks/static.js";
import { writeVariable } from "../storage/blocks.js";

export interface CarriedLogits {
  /** Gives entry `to` of `weight`'s logits in the grown network the old network's pair at entry `from`, if both networks learn that weight's mask. */
  carry(weight: string, to: number, from: number): void;
  /** Writes the logits (fresh ones, and the carried pairs) into the grown network's parameters. */
  commit(): void;
}

/** Both networks' logits as they are now (call it before holding their masks open). */
export function carriedLogits(old: Model, grown: Model): CarriedLogits {
  const copy = (model: Model) => new Map([...maskLogits(model)].map(([name, parameter]) => [name, { parameter, values: parameter.variable.dataSync().slice() as Float32Array }]));
  const [before, after] = [copy(old), copy(grown)];
  return {
    carry(weight, to, from) {
      const [source, target] = [before.get(weight)?.values, after.get(weight)?.values];
      if (source === undefined || target === undefined) return;
      target[2 * to] = source[2 * from]!;
      target[2 * to + 1] = source[2 * from + 1]!;
    },
    commit() {
      for (const { parameter, values } of after.values()) writeVariable(parameter.variable, values);
    },
  };
}
