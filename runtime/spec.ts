/**
 * The description of a network that generated code hands to the runtime.
 * It is plain data: the compiler emits it as a literal, the runtime builds
 * tensors from it. Masks and vertex lists are strings in the compact encoding
 * of `masks/codec.ts`.
 */
import type { DynamicSparsity } from "./growing/dynamic-sparse.js";
import type { PruningSchedule } from "./pruning/schedule.js";

export type ActivationName = "relu" | "tanh" | "sigmoid" | "elu" | "linear";

/**
 * Kernel execution: `dense` (a masked matrix product), `sparse` (gather and
 * scatter-sum over the live connections), or `auto`, which picks sparse below
 * the break-even density measured by `npm run bench kernels`.
 */
export type Execution = "auto" | "dense" | "sparse";

export type LayerKind = "input" | "hidden" | "output";

export interface LayerSpec {
  readonly name: string;
  readonly kind: LayerKind;
  readonly size: number;
  /** Graph vertex id of each neuron, for layers made from a graph's depth (encoded integer list). */
  readonly vertices?: string;
}

export interface BlockSpec {
  readonly name: string;
  /** Index into `layers`. */
  readonly source: number;
  readonly target: number;
  /** Live entries of the [source size, target size] mask (encoded). */
  readonly mask: string;
}

/** One fused kernel: everything that enters `target`, over its blocks' sources concatenated in order. */
export interface KernelSpec {
  readonly target: number;
  readonly blocks: readonly number[];
}

export interface NetworkSpec {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly activation: ActivationName;
  readonly layerNorm: boolean;
  readonly layers: readonly LayerSpec[];
  readonly blocks: readonly BlockSpec[];
  /** In execution order: a kernel's sources are all computed by earlier kernels (or are the input). */
  readonly kernels: readonly KernelSpec[];
  /** Pruning schedules from the .ds file, carried out by `fit`. */
  readonly pruning?: readonly PruningSchedule[];
  /** Blocks whose masks are learned during training. */
  readonly learnable?: LearnableMaskSpec;
  /** How kernels run: `auto` (default; sparse below the calibrated density), or forced `dense` or `sparse`. */
  readonly execution?: Execution;
  /** Dynamic sparse training (SET or RigL): the sparse start at creation, the updates during `fit`. */
  readonly growth?: DynamicSparsity;
}

/**
 * Learnable masks: per connection two logits (keep, drop); the keep
 * probability is softmax((keep, drop) / temperature)[keep].
 */
export interface LearnableMaskSpec {
  readonly blocks: readonly string[];
  /** Initial keep probability. */
  readonly keep: number;
  readonly temperature: number;
  /** Strength of the sparsity penalty fit adds to the loss: penalty × mean keep probability (default 0). */
  readonly penalty?: number;
}
