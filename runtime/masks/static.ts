/**
 * The static masks beneath learned ones. A learnable mask computes with its
 * static mask where the keep logit exceeds the drop logit, and `getMask`
 * gives that combination, as weight files keep it. What trains on needs the
 * static mask itself: an entry the logits closed can open again while its
 * static entry is 1. Growth (growing/carried-logits.ts) and resumed runs
 * (training/setup.ts) read it by holding every learned mask open — keep
 * logit 1, drop logit 0 — for the moment they read, and putting the logits
 * back after.
 */
import type { Model, Parameter } from "../model.js";
import type { SavedArray } from "../training/options.js";
import { writeVariable } from "../storage/blocks.js";

const SUFFIX = ".maskLogits";

/** Every `…maskLogits` parameter of `model`, by the name before the suffix (a conv, a recurrent weight, or a dense kernel's layer). */
export function maskLogits(model: Model): Map<string, Parameter> {
  return new Map(model.parameters.filter((p) => p.name.endsWith(SUFFIX)).map((p) => [p.name.slice(0, -SUFFIX.length), p]));
}

/**
 * Runs `read` with the learned masks of `model` held open (every one, or those
 * of `only`, named as maskLogits names them), then gives the model its logits
 * back, whatever `read` does.
 */
export function withLearnedMasksOpen<T>(model: Model, read: () => T, only?: ReadonlySet<string>): T {
  const opened = [...maskLogits(model)].filter(([name]) => only === undefined || only.has(name));
  const held = opened.map(([, parameter]) => ({ parameter, values: parameter.variable.dataSync().slice() as Float32Array }));
  try {
    for (const { parameter, values } of held) {
      writeVariable(
        parameter.variable,
        Float32Array.from(values, (_, i) => (i % 2 === 0 ? 1 : 0)),
      );
    }
    return read();
  } finally {
    for (const { parameter, values } of held) writeVariable(parameter.variable, values);
  }
}

/** The weights whose masks learn, by the names getMask takes: convs and recurrent weights by their logits, dense blocks by the spec's `learnable`. */
export function learningWeights(model: Model): { name: string; shape: readonly number[] }[] {
  const logits = maskLogits(model);
  const named = new Set(model.spec.learnable?.blocks ?? []);
  const convs = model.features.flatMap((f) => (f.weightShape !== undefined && logits.has(f.name) ? [{ name: f.name, shape: f.weightShape }] : []));
  const recurrent = model.recurrent.flatMap((r) => r.masks.filter((m) => logits.has(m.name)));
  const dense = model.blocks.filter((b) => named.has(b.name)).map((b) => ({ name: b.name, shape: [b.sourceSize, b.targetSize] }));
  return [...convs, ...recurrent, ...dense];
}

/** The static mask of every weight whose mask learns, as 0/1 float32 arrays (what training states hold). */
export function staticMasks(model: Model): SavedArray[] {
  return withLearnedMasksOpen(model, () => learningWeights(model).map(({ name, shape }) => ({ name, shape: [...shape], values: Float32Array.from(model.getMask(name)) })));
}
