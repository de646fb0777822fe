import type { PruningSchedule } from "../../runtime/pruning/schedule.js";
import type { ActivationName, Execution, FeatureLayerSpec, LayerOrigin, RecurrentSpec, LearnableMaskSpec } from "../../runtime/spec.js";
import type { CellNetworkSpec } from "../../runtime/cells/spec.js";
import type { DynamicSparsity } from "../../runtime/growing/dynamic-sparse.js";

/**
 * A network as layers of neurons and masked connection blocks between them.
 * Layer 0 is the (flattened) input, the last layer is the output; hidden layers
 * are in topological order, so every block goes from a lower to a higher index.
 */
export interface NetworkIR {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly layers: readonly LayerIR[];
  readonly blocks: readonly BlockIR[];
  readonly activation: ActivationName;
  readonly layerNorm: boolean;
  /** Pruning schedules with their blocks resolved, for the runtime's training loop. */
  readonly pruning: readonly PruningSchedule[];
  /** Blocks whose masks are learned (`mask learnable(…)`). */
  readonly learnable?: LearnableMaskSpec;
  /** `execution …`, when the network sets it. */
  readonly execution?: Execution;
  /** Dynamic sparse training (`grow …`). */
  readonly growth?: DynamicSparsity;
  /** Convolutional layers over the input (`features […]`); layer 0 is then their flattened output. */
  readonly features?: readonly FeatureLayerSpec[];
  /** A cell network after the feature layers (or over the input); layer 0 is then its head's pooled channels. */
  readonly cells?: CellNetworkSpec;
  /** Recurrent layers over the input [steps, features] (`recurrent lstm(…)`); layer 0 is then their output. */
  readonly recurrent?: RecurrentSpec;
}

export interface LayerIR {
  /** Unique within the network: "input", "output", "dense1", "tree.d2", "tree.d2#2" (the graph's second use). */
  readonly name: string;
  /** Where the layer comes from in the .ds file; its role is `layerKind(origin)`. */
  readonly origin: LayerOrigin;
  readonly size: number;
  /** For a layer made from a graph's depth: the graph vertex id of each neuron. */
  readonly vertices?: readonly number[];
}

/**
 * Connections from one layer to another. The weight matrix has shape
 * [source size, target size] (y = x W); the mask lists the live entries as
 * row-major linear indices `s * targetSize + t`, ascending, or is full.
 */
export interface BlockIR {
  readonly name: string;
  readonly source: number;
  readonly target: number;
  readonly mask: MaskIR;
}

export type MaskIR = { readonly kind: "full" } | { readonly kind: "sparse"; readonly live: Uint32Array };
