/**
 * The description of a network that generated code hands to the runtime.
 * It is plain data: the compiler emits it as a literal, the runtime builds
 * tensors from it. Masks and vertex lists are strings in the compact encoding
 * of `masks/codec.ts`.
 */
import type { CellNetworkSpec } from "./cells/spec.js";

export type ActivationName = "relu" | "tanh" | "sigmoid" | "elu" | "linear";

/**
 * Kernel execution: `dense` (a masked matrix product), `sparse` (consecutive
 * sparse kernels as one graph kernel over the live connections), or `auto`,
 * each kernel the cheaper way by the cost model calibrated by
 * `npm run bench kernels` (binding/cost-model.ts).
 */
export type Execution = "auto" | "dense" | "sparse";

/** A layer's role in the network: the input, a hidden layer, or the output. */
export type LayerKind = "input" | "hidden" | "output";

/**
 * Where a layer comes from in the .ds file: the input, the n-th `dense` layer
 * (from 1, over the whole network), depth `depth` of the structure `graph`
 * (`use` counts from 1 the times the same graph appears as a structure), or
 * the output. Policies, growth and summaries read this, never layer names.
 */
export type LayerOrigin =
  | { readonly kind: "input" }
  | { readonly kind: "dense"; readonly index: number }
  | { readonly kind: "structure"; readonly graph: string; readonly use: number; readonly depth: number }
  | { readonly kind: "output" };

/** A layer's role, from its origin. */
export function layerKind(origin: LayerOrigin): LayerKind {
  return origin.kind === "input" || origin.kind === "output" ? origin.kind : "hidden";
}

export interface LayerSpec {
  readonly name: string;
  readonly origin: LayerOrigin;
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
  /** The compiler's kernel plan; the runtime runs it when it makes the same choice per kernel. */
  readonly plan?: KernelPlanSpec;
  /**
   * Convolutional feature layers applied to the input (shape [channels,
   * height, width]) before the layers above; layer 0 is then their output,
   * flattened channels-first. Absent: layer 0 is the input itself.
   */
  readonly features?: readonly FeatureLayerSpec[];
  /**
   * Stacked recurrent layers over an input [steps, features] per sample;
   * layer 0 is then the last layer's hidden state at the last step
   * (`output: "last"`) or at every step, flattened step-major (`"all"`).
   */
  readonly recurrent?: RecurrentSpec;
  /**
   * A cell network (deepstruct's DeepCellDAN) after the feature layers (or
   * over the input when there are none); layer 0 is then its head's pooled
   * channels. See cells/spec.ts.
   */
  readonly cells?: CellNetworkSpec;
}

export type RecurrentKind = "rnn" | "gru" | "lstm";

/**
 * A stack of recurrent layers, named `${kind}1`, `${kind}2`, …. Each layer
 * stores an input weight [inputs, gates · hidden], a hidden weight
 * [hidden, gates · hidden] and a bias [gates · hidden], gates side by side
 * (rnn: one; gru: reset, update, candidate; lstm: input, forget, cell,
 * output), so one product per step computes every gate. `masks` gives per
 * layer the live entries of those two weights (mask codec), absent when full.
 */
export interface RecurrentSpec {
  readonly kind: RecurrentKind;
  /** The rnn's nonlinearity; gru and lstm ignore it (their gates fix theirs). */
  readonly activation: "tanh" | "relu";
  readonly hidden: readonly number[];
  readonly output: "last" | "all";
  /**
   * Sequences of different lengths: the input's last feature of every step
   * flags it real (above 0.5) or padding; a padding step leaves every layer's
   * state as it was (so `output: "last"` is each sample's last real step) and
   * outputs zeros. The layers read the other features. Absent: every step is real.
   */
  readonly padded?: boolean;
  readonly masks?: readonly { readonly input?: string; readonly hidden?: string }[];
}

/** [height, width] of a window's size, stride or dilation. */
export type SpatialPair = readonly [number, number];

/**
 * A feature layer. `conv` weights are stored [kernel height, kernel width,
 * input channels, output channels] (TensorFlow's HWIO); `mask` lists the live
 * entries of that shape, row-major (mask codec), and is absent when full.
 * `activate`: the network's activation follows (a conv directly followed by a
 * batch norm leaves it to the batch norm).
 */
export type FeatureLayerSpec =
  | {
      readonly kind: "conv";
      readonly name: string;
      readonly channels: number;
      readonly kernel: SpatialPair;
      readonly stride: SpatialPair;
      readonly dilation: SpatialPair;
      readonly padding: "same" | "valid";
      readonly activate: boolean;
      readonly mask?: string;
    }
  | { readonly kind: "maxPool" | "avgPool"; readonly name: string; readonly size: SpatialPair; readonly stride: SpatialPair; readonly padding: "same" | "valid" }
  | { readonly kind: "globalAvgPool"; readonly name: string }
  | { readonly kind: "batchNorm"; readonly name: string; readonly momentum: number; readonly epsilon: number; readonly activate: boolean };

/**
 * The kernel plan of plan/steps.ts as the compiler writes it. Integer lists
 * use the mask encoding; a neuron is its index over all layers laid end to
 * end (input first).
 */
export interface KernelPlanSpec {
  /** Per kernel, how it runs: `d` dense, `s` sparse. */
  readonly kinds: string;
  readonly steps: readonly StepSpec[];
}

/** Where a reader's inputs are: `l` and a layer index (its own tensor), `g` and a graph kernel's index (its exports). */
export type PartSpec = `l${number}` | `g${number}`;

export type StepSpec =
  | { readonly kind: "dense"; readonly kernel: number; readonly parts: readonly PartSpec[]; readonly pick?: string }
  | {
      readonly kind: "graph";
      /** Member kernels first … first + count − 1. */
      readonly first: number;
      readonly count: number;
      readonly parts: readonly PartSpec[];
      readonly pick?: string;
      /** The external neurons it reads, ascending. */
      readonly needs: string;
      /** The kernel-wide indices of the neurons it hands out, ascending. */
      readonly exports: string;
    };

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

/** The saliency a pruning schedule ranks connections by. */
export type ScheduleSaliency = "magnitude" | "random" | "normalizedMagnitude" | "synflow";

/**
 * What a pruning ranks and removes whole (pruning/units.ts): `weight` one entry
 * (order 0, the default); `kernel` one input × output channel kernel of a
 * conv; `channel` a conv's whole output channel; `neuron` a dense layer's
 * neuron (its incoming weights) or a recurrent layer's hidden neuron (its
 * incoming input and hidden weights across every gate); `gate` one gate of a
 * recurrent layer (its columns in both weights); `layer` a layer's incoming
 * weights, all together (order 2). A unit's saliency is the sum of its live
 * entries'.
 */
export type PruneUnit = "weight" | "kernel" | "channel" | "neuron" | "gate" | "layer";

interface ScheduleCommon {
  readonly saliency?: ScheduleSaliency;
  /** What is pruned whole (default `weight`); with `blocks` left out, the scope is every weight the unit fits. */
  readonly unit?: PruneUnit;
  readonly scope?: "global" | "layer";
  /** Blocks the schedule may prune (default: all). */
  readonly blocks?: readonly string[];
  /** For the random saliency. */
  readonly seed?: number;
}

export type PruningSchedule =
  | (ScheduleCommon & { readonly kind: "oneShot"; readonly percent: number; readonly atEpoch?: number; readonly atStep?: number })
  | (ScheduleCommon & {
      readonly kind: "iterative";
      readonly percent: number;
      readonly every: number;
      readonly target: number;
      readonly start?: number;
      readonly rewind?: "none" | "init" | { readonly epoch: number };
    })
  | (ScheduleCommon & { readonly kind: "gradual"; readonly initial: number; readonly final: number; readonly start: number; readonly end: number; readonly every: number });

/** Dynamic sparse training (SET or RigL), carried out by `fit` (see growing/dynamic-sparse.ts). */
export interface DynamicSparsity {
  readonly method: "set" | "rigl";
  /** Overall sparsity of the blocks in scope, kept throughout. */
  readonly sparsity: number;
  readonly distribution?: "uniform" | "erk";
  /** Steps between updates. */
  readonly every: number;
  readonly dropFraction: number;
  readonly decay?: "constant" | "cosine";
  /** The last step that may update. */
  readonly stop: number;
  /** Weights of regrown connections: `zero` (RigL's default) or `random` (SET's: the initialisation's distribution). */
  readonly regrow?: "zero" | "random";
  readonly blocks?: readonly string[];
  readonly seed?: number;
}
