/**
 * Tensors the pruned forward computes from parameters alone (a conv's live
 * filters, its pruned inputs' share of its output, a batch norm's folded
 * scale and shift, the pruned channels' constants), kept between passes as
 * long as what they were computed from is the same: the same variables'
 * data (an assign, by an optimizer or setMask, gives a variable new data),
 * the same remembered tensors upstream and the same channel lists. So an
 * inference pass recomputes only what changed since the last one.
 *
 * An entry holds a tensor sharing each variable dependency's data (a
 * clone): kernels/native/fused-adam.ts, which updates in place only data no other
 * tensor holds, then gives those variables new data instead.
 *
 * Only with no gradient being recorded: a remembered tensor is outside the
 * tape, and a gradient must reach the parameters it came from.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";

/** What a remembered tensor was computed from: variables (by their data), tensors (by identity), numbers and strings. */
export type Dependency = Tensor | string | number;

interface Entry {
  readonly from: readonly unknown[];
  /** Clones of the variable dependencies: they share their data, which keeps it from being updated in place. */
  readonly witnesses: readonly Tensor[];
  readonly value: Tensor;
}

function release(entry: Entry): void {
  tf.dispose([entry.value, ...entry.witnesses]);
}

const entries = new WeakMap<object, Map<string, Entry>>();

/** A tensor stands for its data (a variable's changes on every assign); a string or number for itself. */
function identity(dependency: Dependency): unknown {
  return typeof dependency === "object" ? dependency.dataId : dependency;
}

/** Whether remembering is possible now: no tape is recording (inference, or a pass outside any gradient). */
export function remembering(): boolean {
  return !tf.engine().isTapeOn();
}

function recall<T extends Tensor>(owner: object, slot: string, from: readonly Dependency[], compute: () => T): T {
  const slots = entries.get(owner) ?? new Map<string, Entry>();
  entries.set(owner, slots);
  const keys = from.map(identity);
  const entry = slots.get(slot);
  if (entry !== undefined && !entry.value.isDisposed && entry.from.length === keys.length && entry.from.every((k, i) => k === keys[i])) return entry.value as T;
  if (entry !== undefined) release(entry);
  // A clone (it shares the data) so that disposing this slot's tensor never disposes one `compute` handed back unchanged.
  const value = tf.keep(tf.tidy(() => tf.clone(compute())));
  // Only variables are written in place; a remembered tensor upstream keeps its identity by `keys` holding its data id.
  const witnesses = from.filter((d): d is tf.Variable => d instanceof tf.Variable).map((d) => tf.keep(tf.clone(d)));
  slots.set(slot, { from: keys, witnesses, value });
  return value;
}

/**
 * `compute()`, or the tensor it gave when last called for `owner`'s `slot`
 * with the same `from`, while no gradient is being recorded (else computed
 * afresh). The tensor is kept (no tidy disposes it) until the slot is
 * recomputed or `forget(owner)`; the caller must not dispose it.
 */
export function remembered<T extends Tensor>(owner: object, slot: string, from: readonly Dependency[], compute: () => T): T {
  return remembering() ? recall(owner, slot, from, compute) : compute();
}

/** As remembered, also while a gradient is recorded: for tensors no gradient goes through (0/1 matrices, ones). */
export function rememberedConstant<T extends Tensor>(owner: object, slot: string, from: readonly Dependency[], compute: () => T): T {
  return recall(owner, slot, from, compute);
}

/** Disposes what `owner` remembers (its store is being disposed). */
export function forget(owner: object): void {
  entries.get(owner)?.forEach(release);
  entries.delete(owner);
}
