/**
 * A kernel's parameters in their canonical layout (see layout.ts): the
 * weight per structural connection, the 0/1 mask per connection, the bias,
 * layer-norm gain and shift, and learnable-mask logits. This is the only copy
 * of these facts; the kernels that compute with them are views made by
 * binding/bind.ts.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rank, Tensor, Variable } from "@tensorflow/tfjs-core";
import { initialEdgeWeights, initialWeights } from "../init.js";
import { initialLogits } from "../kernels/learnable-mask.js";
import { layerKind, type NetworkSpec } from "../spec.js";
import { learnableBlocks, type KernelLayout } from "./layout.js";

/** Learnable masks: per connection two logits (keep, drop), and which connections learn. */
export interface LearnableStore {
  /** Shape `[...layout.shape, 2]`. */
  readonly logits: Variable;
  /** 1 where the connection's block is learnable, per connection. */
  readonly flags: Uint8Array;
  /** `flags` as float32 in the weight's shape. */
  readonly flagTensor: Tensor;
  readonly temperature: number;
}

export interface KernelStore {
  readonly layout: KernelLayout;
  /** Name of the layer the kernel computes; parameters are `${targetName}.weight`, `.bias`, … */
  readonly targetName: string;
  readonly hidden: boolean;
  /** One value per connection, shaped `layout.shape`; undefined for a kernel without connections. */
  readonly weight: Variable | undefined;
  /** The static mask, 0/1 per connection (learned masks combine with it: see `currentLive`). */
  readonly live: Uint8Array;
  /** Counts changes of `live`, so views made from it know when to remake themselves. */
  version: number;
  readonly bias: Variable<Rank.R1>;
  readonly gain: Variable<Rank.R1> | undefined;
  readonly shift: Variable<Rank.R1> | undefined;
  readonly learnable: LearnableStore | undefined;
}

/** A trainable variable and its name in files and `model.parameters`. */
export interface NamedVariable {
  readonly name: string;
  readonly variable: Variable;
}

/**
 * Every kernel's store, with weights drawn from `seed` (a connection's draw
 * depends only on seed, kernel, row and column: see init.ts).
 * @throws Error (after freeing what was made) if a tensor cannot be made.
 */
export function createStores(spec: NetworkSpec, layouts: readonly KernelLayout[], seed: number): KernelStore[] {
  const stores: KernelStore[] = [];
  try {
    for (const layout of layouts) stores.push(createStore(spec, layout, seed));
  } catch (error) {
    for (const store of stores) disposeStore(store);
    throw error;
  }
  return stores;
}

function createStore(spec: NetworkSpec, layout: KernelLayout, seed: number): KernelStore {
  const target = spec.layers[layout.target]!;
  const hidden = layerKind(target.origin) === "hidden";
  const made: Tensor[] = [];
  const variable = <R extends Rank = Rank>(values: Float32Array, shape: readonly number[]): Variable<R> => {
    const initial = tf.tensor(values, [...shape], "float32");
    const v = tf.variable(initial, true) as Variable<R>;
    initial.dispose();
    made.push(v);
    return v;
  };
  try {
    const weight = layout.count === 0 ? undefined : variable(initialValues(spec, layout, seed), layout.shape);
    const cols = layout.cols;
    const normalised = hidden && spec.layerNorm && cols > 1;
    const learnable = learnableStore(spec, layout, made);
    return {
      layout,
      targetName: target.name,
      hidden,
      weight,
      live: new Uint8Array(layout.count).fill(1),
      version: 0,
      bias: variable<Rank.R1>(new Float32Array(cols), [cols]),
      gain: normalised ? variable<Rank.R1>(new Float32Array(cols).fill(1), [cols]) : undefined,
      shift: normalised ? variable<Rank.R1>(new Float32Array(cols), [cols]) : undefined,
      learnable,
    };
  } catch (error) {
    tf.dispose(made);
    throw error;
  }
}

function initialValues(spec: NetworkSpec, layout: KernelLayout, seed: number): Float32Array {
  if (layout.full) return initialWeights(seed, layout.kernel, new Uint8Array(layout.count).fill(1), layout.rows, layout.cols, spec.activation);
  const { rows, targets } = layout.edges();
  return initialEdgeWeights(seed, layout.kernel, rows, targets, layout.cols, spec.activation);
}

/** Logits for the connections of the blocks the spec's `learnable` names, if the kernel has any. */
function learnableStore(spec: NetworkSpec, layout: KernelLayout, made: Tensor[]): LearnableStore | undefined {
  const learnable = spec.learnable;
  const learning = learnableBlocks(spec, layout);
  if (learnable === undefined || learning.length === 0) return undefined;
  const flags = new Uint8Array(layout.count);
  for (const slice of learning) flags.fill(1, slice.first, slice.first + slice.count);
  const initial = tf.tensor(initialLogits(layout.count, learnable.keep, learnable.temperature), [...layout.shape, 2]);
  const logits = tf.variable(initial, true);
  initial.dispose();
  made.push(logits);
  const flagTensor = tf.tensor(Float32Array.from(flags), [...layout.shape], "float32");
  made.push(flagTensor);
  return { logits, flags, flagTensor, temperature: learnable.temperature };
}

/** The store's trainable variables with their names, in the order files and optimizers see them. */
export function storeVariables(store: KernelStore): NamedVariable[] {
  const name = store.targetName;
  const out: NamedVariable[] = [];
  if (store.weight !== undefined) out.push({ name: `${name}.weight`, variable: store.weight });
  out.push({ name: `${name}.bias`, variable: store.bias });
  if (store.gain !== undefined && store.shift !== undefined) out.push({ name: `${name}.gain`, variable: store.gain }, { name: `${name}.shift`, variable: store.shift });
  if (store.learnable !== undefined) out.push({ name: `${name}.maskLogits`, variable: store.learnable.logits });
  return out;
}

/**
 * The mask the kernel computes with now: the static mask, and where a
 * connection learns, only if its keep logit exceeds its drop logit (keep
 * probability above one half).
 */
export function currentLive(store: KernelStore): Uint8Array {
  const learnable = store.learnable;
  if (learnable === undefined) return store.live;
  const logits = learnable.logits.dataSync();
  const live = store.live.slice();
  for (let e = 0; e < live.length; e++) if (learnable.flags[e] === 1 && logits[2 * e]! <= logits[2 * e + 1]!) live[e] = 0;
  return live;
}

export function disposeStore(store: KernelStore): void {
  tf.dispose([store.weight, store.bias, store.gain, store.shift, store.learnable?.logits, store.learnable?.flagTensor].filter((t): t is Tensor => t !== undefined));
}
