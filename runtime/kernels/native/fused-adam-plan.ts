/**
 * What a fused Adam step (fused-adam.ts) hands native/adam.c, kept from step
 * to step: the tensors, their moments, whether each is updated in place, its
 * entry list, and the table of heap offsets. Built once and reused while
 * nothing it rests on changes — the same gradients by the same names, every
 * variable and moment still on the data it was built on and sharing it with
 * no one, the same live-entry records (binding/live-edges.ts) — so a step
 * rewrites only each gradient's offset: a network of 308 parameter tensors
 * spent ~1.3 ms a step rebuilding all of it (an input map of 1,232 computed
 * keys, entry lookups, reference counts, the table).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Variable } from "@tensorflow/tfjs-core";
import { liveEntries, liveEntriesVersion } from "../../binding/live-entries.js";

/** The optimizer's argument: a list of named gradients or a map of them (tfjs's NamedTensor[] | NamedTensorMap). */
export type VariableGradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

/** One entry of the list form of the argument. */
interface NamedTensor {
  readonly name: string;
  readonly tensor: Tensor | undefined;
}

/** The parts of AdamOptimizer kept private in its typings. */
export interface AdamState {
  readonly accBeta1: Variable;
  readonly accBeta2: Variable;
  readonly accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  readonly accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
}

/** A tensor's record in the WASM backend: its place on the heap and how many tensors share it. */
interface HeapRecord {
  readonly memoryOffset: number;
  readonly refCount: number;
}

/** The WASM backend's table of records (a DataStorage: get moves data held elsewhere onto the heap). */
export interface HeapRecords {
  readonly dataIdMap: { get(dataId: object): HeapRecord | undefined };
}

/** Words per tensor in adamUpdate's table (native/adam.c): size, value, gradient, m, v, new value, new m, new v, entries, entry count. */
export const ROW = 10;
const GRADIENT_WORD = 2;

/** One tensor with a gradient: the variable and its moments, the data each was on when the plan was built, and its entry list. */
export interface PlanSlot {
  readonly name: string;
  /** Its place in the argument (and so in AdamOptimizer's moment lists). */
  readonly index: number;
  readonly tensors: readonly [Variable, Variable, Variable];
  readonly dataIds: readonly [object, object, object];
  readonly records: readonly [HeapRecord, HeapRecord, HeapRecord];
  readonly size: number;
  readonly entries: Tensor1D | undefined;
}

export interface AdamPlan {
  readonly backend: object;
  readonly liveVersion: number;
  /** Every name of the argument in order, and whether it came with a gradient. */
  readonly names: readonly string[];
  readonly hasGradient: readonly boolean[];
  readonly slots: readonly PlanSlot[];
  /** Whether every slot's value and moments are shared with no other tensor, so all are updated in place. */
  readonly inPlace: boolean;
  /** ROW words per slot, the in-place offsets filled in; the gradients' rewritten every step. */
  readonly table: Uint32Array;
}

/** The gradient at argument position i (undefined where none came). */
function gradientAt(gradients: VariableGradients, names: readonly string[], i: number): Tensor | undefined {
  return (Array.isArray(gradients) ? (gradients as NamedTensor[])[i]!.tensor : (gradients as Record<string, Tensor | undefined>)[names[i]!]) ?? undefined;
}

/** The argument's names in order. */
export function argumentNames(gradients: VariableGradients): string[] {
  return Array.isArray(gradients) ? (gradients as NamedTensor[]).map((g) => g.name) : Object.keys(gradients);
}

function record(backend: HeapRecords, t: Tensor, name: string): HeapRecord {
  const found = backend.dataIdMap.get(t.dataId);
  if (found === undefined) throw new Error(`FusedAdam: ${name}'s data is not on the WASM heap`);
  return found;
}

/** The moments of argument position i, made as AdamOptimizer makes them (so its getWeights and setWeights find them). */
function moments(state: AdamState, value: Variable, name: string, i: number): [Variable, Variable] {
  state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  return [state.accumulatedFirstMoment[i].variable, state.accumulatedSecondMoment[i].variable];
}

/** A plan for `gradients` now: moments made where missing, in-place decisions from today's reference counts. */
export function buildPlan(backend: HeapRecords, state: AdamState, gradients: VariableGradients): AdamPlan {
  const names = argumentNames(gradients);
  const hasGradient = names.map((_, i) => gradientAt(gradients, names, i) !== undefined);
  const slots: PlanSlot[] = [];
  names.forEach((name, index) => {
    const value = tf.engine().registeredVariables[name];
    if (value === undefined) throw new Error(`FusedAdam: no variable named ${name} is registered`);
    const [m, v] = moments(state, value, name, index);
    if (!hasGradient[index]) return;
    const tensors = [value, m, v] as const;
    const records = [record(backend, value, name), record(backend, m, `${name}/m`), record(backend, v, `${name}/v`)] as const;
    slots.push({ name, index, tensors, dataIds: [value.dataId, m.dataId, v.dataId], records, size: value.size, entries: liveEntries(value) });
  });
  const inPlace = slots.every((s) => s.records.every((r) => r.refCount === 1));
  const table = new Uint32Array(ROW * slots.length);
  slots.forEach((s, k) => {
    const [w, m, v] = s.records.map((r) => r.memoryOffset >>> 0) as [number, number, number];
    const entries = s.entries === undefined ? [0, 0] : [record(backend, s.entries, `${s.name}'s live entries`).memoryOffset >>> 0, s.entries.size];
    table.set([s.size, w, 0, m, v, w, m, v, ...entries], ROW * k);
  });
  return { backend, liveVersion: liveEntriesVersion(), names, hasGradient, slots, inPlace, table };
}

/**
 * Whether `plan` still describes `gradients` with `state`'s moments: the same names with gradients at the same
 * places, every slot's tensors the same objects on the same data (an assign, setWeights or a disposal changes one),
 * that data shared with no other tensor where the plan updates it in place, and the same live-entry records.
 */
export function planFits(plan: AdamPlan, backend: object, state: AdamState, gradients: VariableGradients): boolean {
  if (plan.backend !== backend || plan.liveVersion !== liveEntriesVersion() || !plan.inPlace) return false;
  const list = Array.isArray(gradients);
  const names = list ? undefined : Object.keys(gradients);
  const count = list ? (gradients as NamedTensor[]).length : names!.length;
  if (count !== plan.names.length) return false;
  for (let i = 0; i < count; i++) {
    const name = list ? (gradients as NamedTensor[])[i]!.name : names![i]!;
    if (name !== plan.names[i] || (gradientAt(gradients, plan.names, i) !== undefined) !== plan.hasGradient[i]) return false;
  }
  for (const s of plan.slots) {
    const [value, m, v] = s.tensors;
    if (value.isDisposed || state.accumulatedFirstMoment[s.index]?.variable !== m || state.accumulatedSecondMoment[s.index]?.variable !== v) return false;
    if (value.dataId !== s.dataIds[0] || m.dataId !== s.dataIds[1] || v.dataId !== s.dataIds[2]) return false;
    if (s.records[0].refCount !== 1 || s.records[1].refCount !== 1 || s.records[2].refCount !== 1) return false;
  }
  return true;
}

/** Writes this step's gradient offsets into the plan's table, checking each gradient's size and type against its variable. */
export function writeGradients(plan: AdamPlan, backend: HeapRecords, gradients: VariableGradients): void {
  plan.slots.forEach((s, k) => {
    const g = gradientAt(gradients, plan.names, s.index)!;
    if (g.size !== s.size || g.dtype !== "float32") {
      throw new Error(`FusedAdam: the gradient of ${s.name} is ${g.dtype} [${g.shape.join(", ")}], its variable float32 [${s.tensors[0].shape.join(", ")}]`);
    }
    plan.table[ROW * k + GRADIENT_WORD] = record(backend, g, `${s.name}'s gradient`).memoryOffset >>> 0;
  });
}
