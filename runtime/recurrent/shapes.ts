/** Sizes of a recurrent stack, shared by the compiler's checks and the runtime. */
import type { RecurrentKind, RecurrentSpec } from "../spec.js";

/** Gates per kind: each computed from one slice of the layer's side-by-side weights. */
export const GATES: Readonly<Record<RecurrentKind, number>> = { rnn: 1, gru: 3, lstm: 4 };

/** Layer names, `${kind}1`, `${kind}2`, …, in stack order. */
export function recurrentNames(spec: Pick<RecurrentSpec, "kind" | "hidden">): string[] {
  return spec.hidden.map((_, i) => `${spec.kind}${i + 1}`);
}

/** Layer 0's size: the last hidden state, or every step's flattened. */
export function recurrentOutputSize(spec: Pick<RecurrentSpec, "hidden" | "output">, steps: number): number {
  const last = spec.hidden.at(-1)!;
  return spec.output === "all" ? steps * last : last;
}

/** Features per step the first layer reads: all of the input's but, with `padded`, the last (the step's real-or-padding flag). */
export function recurrentFeatures(spec: Pick<RecurrentSpec, "padded">, inputFeatures: number): number {
  return spec.padded === true ? inputFeatures - 1 : inputFeatures;
}

/** Per layer its input width, hidden size and gate count over inputs of `inputFeatures` per step: the two weight shapes follow from them. */
export function recurrentLayerShapes(spec: Pick<RecurrentSpec, "kind" | "hidden" | "padded">, inputFeatures: number): { inputs: number; hidden: number; gates: number }[] {
  const features = recurrentFeatures(spec, inputFeatures);
  return spec.hidden.map((hidden, i) => ({ inputs: i === 0 ? features : spec.hidden[i - 1]!, hidden, gates: GATES[spec.kind] }));
}
