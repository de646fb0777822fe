/**
 * The public types of the runtime: what `createNetwork` returns.
 */
import type { Rank, Scalar, Tensor, Variable } from "@tensorflow/tfjs-core";
import type { ExtractedGraph, ExtractOptions } from "./extract-types.js";
import type { ExecutionStep as BoundStep } from "./binding/bind.js";
import type { Execution, LayerKind, LayerOrigin, NetworkSpec } from "./spec.js";
import type { Evaluation, FitOptions, History, TrainingData } from "./training/options.js";
import type { LossName } from "./training/losses.js";
import type { ModelSummary } from "./summary.js";
import type { PrunableWeight } from "./pruning/weights.js";
import type { RuntimeLimits } from "./limits.js";

/**
 * A TensorFlow.js backend the runtime computes on: `webgpu` and `webgl` (GPU,
 * browsers), `wasm` (WebAssembly, threaded in cross-origin-isolated pages),
 * `cpu` (plain JavaScript), `tensorflow` (native TensorFlow in Node, from the
 * optional `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu`).
 */
export type BackendName = "webgpu" | "webgl" | "wasm" | "cpu" | "tensorflow";

/**
 * A backend request: `"auto"` is the best that comes up here — in browsers
 * webgpu, webgl, wasm, cpu; in Node tensorflow (when installed), wasm, cpu.
 */
export type BackendChoice = BackendName | "auto";

/**
 * One step of a forward pass: a `dense` kernel (one layer, a masked matrix
 * product) or a `graph` kernel (a run of sparse layers, neuron by neuron),
 * the layers it computes, the backend it runs on, and, for a dense step the
 * cost model would have run sparse, why it does not.
 */
export interface ExecutionStep extends BoundStep {
  readonly backend: BackendName;
}

/**
 * The rank of a batch of tensors each shaped `S`: one more than `S` has, so a
 * generated model's `predict` returns a `Tensor2D` for its `[outputSize]`
 * outputs. A shape whose length is not known gives the generic `Rank`.
 */
export type BatchRank<S extends readonly number[]> = number extends S["length"]
  ? Rank
  : S["length"] extends 0
    ? Rank.R1
    : S["length"] extends 1
      ? Rank.R2
      : S["length"] extends 2
        ? Rank.R3
        : S["length"] extends 3
          ? Rank.R4
          : S["length"] extends 4
            ? Rank.R5
            : S["length"] extends 5
              ? Rank.R6
              : Rank;

/** Options of `createNetwork`. */
export interface NetworkOptions {
  /** Seed of the initial weights (default 0). The same seed gives bit-identical weights. */
  readonly seed?: number;
  /** Backend to compute on (default `"auto"`). */
  readonly backend?: BackendChoice;
  /** Kernel execution, overriding the spec's (default: the spec's, else `"auto"`). */
  readonly execution?: Execution;
  /** Sizes refused before anything is allocated (defaults: DEFAULT_RUNTIME_LIMITS). */
  readonly limits?: Partial<RuntimeLimits>;
}

/** One layer of neurons. */
export interface LayerInfo {
  readonly name: string;
  readonly kind: LayerKind;
  /** Where the layer comes from in the .ds file: the input, a dense layer, a structure's depth, the output. */
  readonly origin: LayerOrigin;
  /** Number of neurons. */
  readonly size: number;
  /** Graph vertex id of each neuron, for layers made from a graph's depth. */
  readonly vertices?: readonly number[];
}

/** A feature layer: its name (`conv1`, `bn1`, `pool1`, `gap1`), kind and output shape [channels, height, width]. */
export interface FeatureInfo {
  readonly name: string;
  readonly kind: "conv" | "maxPool" | "avgPool" | "globalAvgPool" | "batchNorm";
  readonly outputShape: readonly [number, number, number];
  /** For a conv: its weight's and mask's shape `[kernel rows, kernel cols, in channels, out channels]`. */
  readonly weightShape?: readonly [number, number, number, number];
}

/**
 * A recurrent layer (`lstm1`, `gru2`, `rnn1`): its kind, sizes, and its two
 * masked weights as blocks `${name}.input` [inputs, gates · hidden] and
 * `${name}.hidden` [hidden, gates · hidden], which getMask and setMask name.
 */
export interface RecurrentInfo {
  readonly name: string;
  readonly kind: "rnn" | "gru" | "lstm";
  readonly inputs: number;
  readonly hidden: number;
  readonly gates: number;
  readonly masks: readonly { readonly name: string; readonly shape: readonly [number, number] }[];
}

export interface PredictOptions {
  /** Training mode for batch norms (default false). */
  readonly training?: boolean;
}

/** One block of connections from a source layer to a target layer. */
export interface BlockInfo {
  readonly name: string;
  /** Name of the source layer. */
  readonly source: string;
  /** Name of the target layer. */
  readonly target: string;
  readonly sourceSize: number;
  readonly targetSize: number;
}

/** A trainable variable of the network. */
export interface Parameter {
  /**
   * `${layer}.weight` — the weights of every connection into the layer in the
   * canonical layout of storage/layout.ts: one value per connection, blocks
   * in order, each row-major, shaped `[Σ source sizes, layer size]` when
   * every entry is a connection, `[used source neurons, layer size]` when
   * those rows are complete, else `[connections]`; the same whatever
   * execution and backend run it —
   * `${layer}.bias`, for normalised hidden layers `${layer}.gain` and
   * `${layer}.shift`, and for learnable masks `${layer}.maskLogits`
   * (the weight's shape, then (keep, drop)).
   */
  readonly name: string;
  readonly variable: Variable;
}

/**
 * A sparse network built from a `NetworkSpec`.
 *
 * Every layer after the input is computed by one kernel:
 * `pre = concat(sources) · (W ⊙ M) + b`; hidden layers are then layer
 * normalised (if the network asks for it) and activated; the output layer
 * is returned as logits.
 *
 * @typeParam I - the input shape without the batch dimension.
 * @typeParam O - the output shape without the batch dimension (`[outputSize]`).
 */
export interface Model<I extends readonly number[] = readonly number[], O extends readonly number[] = readonly number[]> {
  /** The network's name, used in error messages. */
  readonly name: string;
  /** The description the model was built from (saved with its weights, so a model can be rebuilt from files alone). */
  readonly spec: NetworkSpec;
  /** Shape of one example (without the batch dimension). */
  readonly inputShape: I;
  /** Shape of one output (without the batch dimension): `[outputSize]`. */
  readonly outputShape: O;
  /**
   * The backend selected when the model was created. TensorFlow.js has one
   * current backend per process: computation runs on whichever is current.
   */
  readonly backend: BackendName;
  /** Layers in order: the input first, the output last. */
  readonly layers: readonly LayerInfo[];
  /** Blocks of connections, in the order of the spec. */
  readonly blocks: readonly BlockInfo[];
  /** Trainable variables: the feature or recurrent layers' first, then kernel by kernel in execution order. */
  readonly parameters: readonly Parameter[];
  /** Feature layers (convolutions, pooling, batch norms) before layer 0, in order; empty for a network without `features`. */
  readonly features: readonly FeatureInfo[];
  /** Recurrent layers before layer 0, in stack order; empty for a network without `recurrent`. */
  readonly recurrent: readonly RecurrentInfo[];
  /** State saved with the weights but never trained: the batch norms' running statistics (`bn1.runningMean`, `bn1.runningVariance`). */
  readonly state: readonly Parameter[];
  /** The execution the model was built with: `auto` (the cost model's choice per kernel), `dense` or `sparse`. */
  readonly executionMode: Execution;
  /**
   * How a forward pass runs, kernel by kernel: a `dense` kernel computes one
   * layer with a masked matrix product (`kernel: "dense-product"`); a `graph`
   * kernel computes a run of sparse layers, on the backend's sparse kernel
   * (`kernel`): `graph-kernel` (WebAssembly, in one op, neuron by neuron; wasm
   * and cpu), `wgsl` (a compute shader per layer; webgpu) or `gather-ops`
   * (stock gathers and sums per layer; webgl and others); each on `backend`.
   * The cost model chooses per backend. A dense step that it would have run
   * sparse says why in `reason` (e.g. the graph kernel failing to load).
   */
  readonly execution: readonly ExecutionStep[];
  /** Whether the kernel plan is the compiler's, from the spec, or was made when the model was built because this machine chose otherwise. */
  readonly planSource: "compiler" | "runtime";

  /**
   * Runs the network on a batch. `x` has shape `[batch, ...inputShape]` or
   * `[batch, inputSize]`; non-float input is cast to float32. Returns logits
   * of shape `[batch, outputSize]`; the caller owns (and disposes) the result.
   * The result's type has the rank of a batch of outputs (`Tensor2D` for a
   * generated model). With `training`, batch norms normalise by the batch's
   * statistics and update their running ones (what `fit` does); otherwise
   * they use the running ones.
   * @throws Error if `x` has any other shape.
   */
  predict(x: Tensor, options?: PredictOptions): Tensor<BatchRank<O>>;

  /**
   * Every layer's activations for a batch, or only those named: the input
   * (flattened), each hidden layer after its activation, the output as
   * logits. The caller owns (and disposes) the tensors.
   * @throws Error for an unknown layer name or an input of the wrong shape.
   */
  activations(x: Tensor, layers?: readonly string[]): Record<string, Tensor>;

  /** A copy of a block's 0/1 mask, row-major `[sourceSize, targetSize]`, or of a conv layer's (`conv1`), row-major in its weight's shape `[kernel rows, kernel cols, in channels, out channels]`. */
  getMask(block: string): Uint8Array;
  /**
   * Replaces a block's mask. Weights of connections switched off are kept
   * (but have no effect), so switching them on again restores them. Only the
   * block's structural connections (its mask in the spec) can be switched on,
   * under every execution.
   * @throws Error for an unknown block, a wrong length, an entry other than 0 or 1, or an entry switched on that is not a connection.
   */
  setMask(block: string, mask: ArrayLike<number>): void;

  /** A block's effective weights (stored weights times mask; 0 where masked), row-major `[sourceSize, targetSize]`. */
  getWeights(block: string): Float32Array;
  /**
   * Replaces a block's stored weights, row-major `[sourceSize, targetSize]`.
   * Entries where the mask is 0 are stored but have no effect while masked;
   * entries that are not connections of the block's structure are not kept.
   * @throws Error for an unknown block, a wrong length, or a non-finite entry.
   */
  setWeights(block: string, values: ArrayLike<number>): void;

  /** A copy of a (non-input) layer's bias. */
  getBias(layer: string): Float32Array;
  /**
   * Replaces a (non-input) layer's bias.
   * @throws Error for an unknown or input layer, a wrong length, or a non-finite entry.
   */
  setBias(layer: string, values: ArrayLike<number>): void;

  /**
   * Live connections: of every prunable weight together (dense blocks,
   * convs, recurrent input and hidden weights: see pruning/weights.ts), or of
   * one, named as getMask names it (`dense1->output`, `conv1`, `lstm1.hidden`).
   */
  liveConnections(weight?: string): number;
  /** `liveConnections()` split by the kind of weight, for the kinds the model has. */
  liveConnectionsByKind(): Partial<Record<PrunableWeight["kind"], number>>;
  /** Connections the prunable weights could hold: every entry of every mask. */
  totalConnections(): number;

  /**
   * Trains the network with mini-batch gradient descent (see `FitOptions`).
   * Masked connections get an exactly zero gradient and never change.
   * @throws Error for data whose shapes or labels do not fit the network.
   */
  fit(data: TrainingData, options: FitOptions): Promise<History>;
  /**
   * The loss gradient of every weight on one batch, masked entries included,
   * by the names getMask takes: per block row-major `[sourceSize,
   * targetSize]`, per conv (`conv1`, `cell3.conv1`) row-major HWIO, per
   * recurrent weight (`lstm1.input`, `lstm1.hidden`) row-major `[rows,
   * gates · hidden]`: where growing would help most. With `training`,
   * batch norms normalise by the batch's statistics (the loss `fit`
   * trains) and update their running ones, as `predict` does.
   */
  denseWeightGradients(data: TrainingData, loss?: LossName, options?: PredictOptions): Map<string, Float32Array>;
  /**
   * The extra loss term `fit` adds: the learnable masks' sparsity penalty,
   * strength × the mean keep probability; undefined when there is none.
   */
  penalty(): Scalar | undefined;
  /** Mean loss and accuracy over `data`, computed in batches; read synchronously (on webgpu prefer {@link evaluateAsync}). */
  evaluate(data: TrainingData, options?: { readonly batchSize?: number; readonly loss?: LossName }): Evaluation;
  /**
   * `evaluate`, its result read asynchronously: what GPU backends need (a
   * synchronous read on webgpu goes through canvases; SwiftShader's WebGPU
   * answers it with zeros and loses the device). `fit` reads this way.
   */
  evaluateAsync(data: TrainingData, options?: { readonly batchSize?: number; readonly loss?: LossName }): Promise<Evaluation>;
  /** `predict` in batches (default 256) for inputs too large for one pass. */
  predictBatches(x: Tensor, options?: { readonly batchSize?: number }): Tensor<BatchRank<O>>;

  /**
   * The network as a graph: neurons (order 0), neuron groups (order 1) or
   * layers (order 2) as vertices, live connections as edges. See `extract.ts`.
   */
  extractGraph(options: ExtractOptions): ExtractedGraph;

  /**
   * A table of the layers, as Keras's `model.summary()`: per layer its kind,
   * shape, parameters, live connections entering it, sparsity and kernel,
   * with totals; as text and as data. See `summary.ts`.
   */
  summary(): ModelSummary;

  /** Frees the model's tensors and variables. The model cannot be used afterwards. */
  dispose(): void;
}
