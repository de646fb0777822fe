/**
 * The Model API over a network's stores and its binding: checks every
 * argument at the boundary, then reads and writes canonical storage (through
 * storage/blocks.ts) or runs a forward pass (forward.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Scalar, Tensor, Tensor2D, Variable } from "@tensorflow/tfjs-core";
import { isCurrent, keepMade, type Binding, type BindOptions } from "./binding/bind.js";
import { extractGraph } from "./extract.js";
import { forwardPass } from "./forward.js";
import { keepProbability } from "./kernels/learnable-mask.js";
import { nativeNonFiniteIndex } from "./kernels/native/index.js";
import { featureForward } from "./features/forward.js";
import { cellForward } from "./cells/forward.js";
import { disposeCellStores, type CellStores } from "./cells/store.js";
import { convMask, featureInfos, setConvMask } from "./features/masks.js";
import { disposeFeatureStores, featureParameters, featureState, type ConvStore, type FeatureStore } from "./features/store.js";
import type { BackendName, BatchRank, BlockInfo, ExecutionStep, FeatureInfo, LayerInfo, Model, Parameter, PredictOptions, RecurrentInfo } from "./model.js";
import { registerStoredBlocks } from "./pruning/in-place.js";
import { liveOf, prunableWeights, type PrunableWeight } from "./pruning/weights.js";
import { recurrentForward } from "./recurrent/forward.js";
import { currentMask, disposeLearnedMasks, keptAndAllowed, learnedParameters, type LearnedMasks } from "./masks/learned.js";
import { disposeRecurrentStore, recurrentBlocks, recurrentParameters, setRecurrentMask, type RecurrentStore } from "./recurrent/store.js";
import { blockMask, blockMatrix, blockWeights, liveCount, readVariable, setBlockMask, setBlockWeights, storedBlock, writeVariable } from "./storage/blocks.js";
import { disposeStore, storeVariables, type KernelStore } from "./storage/kernel-store.js";
import type { BlockSlice } from "./storage/layout.js";
import type { Execution, NetworkSpec } from "./spec.js";
import { modelSummary, type ModelSummary } from "./summary.js";
import { evaluate, evaluateAsync, fit, predictBatches } from "./training/fit.js";
import { loss as lossOf, type LossName } from "./training/losses.js";
import type { ExtractOptions, ExtractedGraph } from "./extract-types.js";
import type { Evaluation, FitOptions, History, TrainingData } from "./training/options.js";

/** Backends whose tensors live in host memory, where reading an input costs one scan. */
const HOST_BACKENDS = new Set(["cpu", "wasm"]);

/**
 * Input tensors already found finite. A tensor's values never change, so each is scanned once, not on every call with it
 * (the same batch fed again, as a benchmark or a validation set does: 256 × 784 floats are ~30 µs of a 1.3 ms pruned
 * LeNet-300-100 step). Keyed by the tensor, not its data: a buffer our kernels hold (graph/memory.ts) is written again
 * only once the tensor handed out over it is disposed, and a disposed input is refused before the check. A variable is
 * not remembered: assign, and the fused Adam writing in place, change its values.
 */
const checkedFinite = new WeakSet<Tensor>();
const rememberFinite = (x: Tensor): void => void (x instanceof tf.Variable || checkedFinite.add(x));

export interface ModelParts {
  readonly spec: NetworkSpec;
  readonly backend: BackendName;
  readonly executionMode: Execution;
  readonly layers: readonly LayerInfo[];
  readonly blocks: readonly BlockInfo[];
  readonly stores: readonly KernelStore[];
  readonly binding: Binding;
  /** Binds the stores again (after masks changed): the same spec, execution, backend support and limits. */
  readonly rebind: (options?: BindOptions) => Binding;
  /** A cell network's stores (its layers follow the stem's in the Model's `features`, parameters and state). */
  readonly cells?: CellStores;
  /** The feature layers' stores (empty without `features`). */
  readonly features: readonly FeatureStore[];
  /** The recurrent stack's store (undefined without `recurrent`). */
  readonly recurrent?: RecurrentStore;
  /** Learnable masks over conv and recurrent weights, by weight name (empty without). */
  readonly learned: LearnedMasks;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

function quoteList(names: readonly string[]): string {
  return names.length === 0 ? "(none)" : names.map((n) => `'${n}'`).join(", ");
}

export class NetworkModel<I extends readonly number[], O extends readonly number[]> implements Model<I, O> {
  readonly name: string;
  readonly spec: NetworkSpec;
  readonly inputShape: I;
  readonly outputShape: O;
  readonly backend: BackendName;
  readonly executionMode: Execution;
  readonly layers: readonly LayerInfo[];
  readonly blocks: readonly BlockInfo[];
  readonly parameters: readonly Parameter[];
  readonly features: readonly FeatureInfo[];
  readonly recurrent: readonly RecurrentInfo[];
  readonly state: readonly Parameter[];
  private readonly stores: readonly KernelStore[];
  private readonly featureStores: readonly FeatureStore[];
  private readonly cellStores: CellStores | undefined;
  private readonly convs = new Map<string, ConvStore>();
  private readonly recurrentStore: RecurrentStore | undefined;
  private readonly recurrentMasks = new Map<string, ReturnType<typeof recurrentBlocks>[number]>();
  private readonly learned: LearnedMasks;
  /** Made again when a mask changed since (see `bound`): the cost model then decides for the live connections. */
  private binding: Binding;
  private readonly rebind: (options?: BindOptions) => Binding;
  private readonly slices = new Map<string, { readonly store: KernelStore; readonly slice: BlockSlice }>();
  private readonly storeOfLayer = new Map<string, KernelStore>();
  private readonly inputSize: number;
  private disposed = false;
  /** While set, forward passes give every weight its unmasked gradient (see `denseWeightGradients`). */
  private denseGradients = false;
  /** While dense gradients are taken from a model whose sparse kernels leave switched-off connections out: one that keeps them. */
  private fullBinding: Binding | undefined;

  constructor(parts: ModelParts) {
    const { spec } = parts;
    this.name = spec.name;
    this.spec = spec;
    this.inputShape = Object.freeze([...spec.inputShape]) as unknown as I;
    this.outputShape = Object.freeze([spec.layers.at(-1)!.size]) as unknown as O;
    this.inputSize = spec.inputShape.reduce((a, b) => a * b, 1);
    this.backend = parts.backend;
    this.executionMode = parts.executionMode;
    this.layers = parts.layers;
    this.blocks = parts.blocks;
    this.stores = parts.stores;
    this.binding = parts.binding;
    this.rebind = parts.rebind;
    this.featureStores = parts.features;
    this.cellStores = parts.cells;
    // Every feature layer the model holds: the stem's, then the cells' and the head's.
    const allFeatures = [...parts.features, ...(parts.cells?.all ?? [])];
    this.features = featureInfos(allFeatures);
    for (const store of allFeatures) if (store.kind === "conv") this.convs.set(store.layer.name, store);
    this.state = Object.freeze(featureState(allFeatures).map((p) => Object.freeze(p)));
    this.recurrentStore = parts.recurrent;
    for (const block of recurrentBlocks(parts.recurrent)) this.recurrentMasks.set(block.name, block);
    this.recurrent = recurrentInfos(parts.recurrent);
    this.learned = parts.learned;
    const variables = [...featureParameters(allFeatures), ...recurrentParameters(parts.recurrent), ...learnedParameters(parts.learned), ...parts.stores.flatMap(storeVariables)];
    this.parameters = Object.freeze(variables.map((p) => Object.freeze({ ...p })));
    for (const store of parts.stores) {
      this.storeOfLayer.set(store.targetName, store);
      for (const slice of store.layout.blocks) this.slices.set(slice.name, { store, slice });
    }
    // Magnitude pruning reads the weights and writes the masks in place (pruning/in-place.ts); a disposed model has none.
    registerStoredBlocks(this, (block) => {
      const found = this.slices.get(block);
      return found === undefined || this.disposed ? undefined : storedBlock(found.store, found.slice);
    });
  }

  /** How a forward pass runs now (re-planned after pruning, schedules or growth changed masks). */
  get execution(): readonly ExecutionStep[] {
    const binding = this.bound();
    return Object.freeze(binding.steps.map((step) => Object.freeze({ ...step, backend: this.backend })));
  }

  get planSource(): "compiler" | "runtime" {
    return this.bound().planSource;
  }

  /**
   * The binding for the masks as they are: after a mask changed, the kernels
   * are bound again, so each runs as the cost model decides for its live
   * connections (a pruned dense layer may go sparse, and back). Outputs and
   * gradients do not change, only how they are computed.
   */
  private bound(): Binding {
    if (this.disposed || isCurrent(this.binding, this.stores)) return this.binding;
    const next = keepMade(() => this.rebind());
    this.binding.dispose();
    this.binding = next;
    return next;
  }

  private alive(method: string): void {
    if (this.disposed) throw new Error(`${this.name}.${method}: the model has been disposed`);
  }

  private block(method: string, block: string): { readonly store: KernelStore; readonly slice: BlockSlice } {
    this.alive(method);
    const found = this.slices.get(block);
    if (found === undefined) throw new Error(`${this.name}.${method}: unknown block '${block}'; blocks are ${quoteList(this.blocks.map((b) => b.name))}`);
    return found;
  }

  private biasStore(method: string, layer: string): KernelStore {
    this.alive(method);
    const store = this.storeOfLayer.get(layer);
    if (store !== undefined) return store;
    const reason = layer === this.spec.layers[0]!.name ? `'${layer}' is the input layer and has no bias` : `unknown layer '${layer}'`;
    throw new Error(`${this.name}.${method}: ${reason}; layers with a bias are ${quoteList([...this.storeOfLayer.keys()])}`);
  }

  private checkValues(method: string, what: string, values: ArrayLike<number>, shape: readonly number[], allowed: "finite" | "binary"): void {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (values === null || typeof values !== "object" || typeof values.length !== "number")
      throw new Error(`${this.name}.${method}: ${what} expects an array of ${expected} numbers`);
    if (values.length !== expected) throw new Error(`${this.name}.${method}: ${what} expects ${expected} entries (${shapeText(shape)}), got ${values.length}`);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (allowed === "binary" && v !== 0 && v !== 1) throw new Error(`${this.name}.${method}: ${what} entry ${i} is ${String(v)}; a mask holds only 0 and 1`);
      if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${this.name}.${method}: ${what} entry ${i} is ${String(v)}; values must be finite numbers`);
    }
  }

  /**
   * A NaN or infinite input would come out as NaN logits without a word. On
   * the CPU and WASM backends the values are in host memory, so one scan
   * finds the first (natively in place where the native part runs: see
   * kernels/native/finite.ts); GPU backends would need a
   * download per call, and there the outputs are left to the caller.
   */
  private checkFinite(method: string, x: Tensor): void {
    if (x.dtype !== "float32" || !HOST_BACKENDS.has(tf.getBackend()) || checkedFinite.has(x)) return;
    const perSample = this.inputSize;
    const found = nativeNonFiniteIndex(x);
    if (found === -1) return void rememberFinite(x);
    // The native part found one (or cannot look): the JavaScript scan names it.
    const values = x.dataSync() as Float32Array;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      // v − v is 0 for every finite v, NaN for NaN and ±Infinity: one subtraction, no call.
      if (v - v !== 0) {
        const sample = Math.floor(i / perSample);
        throw new Error(`${this.name}.${method}: input sample ${sample} holds ${v} at entry ${i - sample * perSample}; inputs must be finite numbers`);
      }
    }
    rememberFinite(x);
  }

  /** The input as float32 [batch, inputs], or an Error that names the expected shape. */
  private flatInput(method: string, x: Tensor): Tensor2D {
    this.alive(method);
    const full = shapeText(["batch", ...this.spec.inputShape]);
    const expected = this.spec.inputShape.length === 1 ? full : `${full} or ${shapeText(["batch", this.inputSize])}`;
    if (x === null || typeof x !== "object" || !Array.isArray((x as { shape?: unknown }).shape)) {
      throw new Error(`${this.name}.${method}: expected a tensor of shape ${expected}, got ${x === null ? "null" : typeof x}`);
    }
    if (x.isDisposed) throw new Error(`${this.name}.${method}: the input tensor has been disposed`);
    const shape = x.shape;
    const matchesFull = shape.length === this.spec.inputShape.length + 1 && this.spec.inputShape.every((d, i) => shape[i + 1] === d);
    const matchesFlat = shape.length === 2 && shape[1] === this.inputSize;
    if (shape[0] === undefined || (!matchesFull && !matchesFlat)) throw new Error(`${this.name}.${method}: expected input of shape ${expected}, got ${shapeText(shape)}`);
    if (x.dtype === "string") throw new Error(`${this.name}.${method}: expected a numeric tensor, got dtype 'string'`);
    this.checkFinite(method, x);
    const floats = x.dtype === "float32" ? x : tf.cast(x, "float32");
    // Already flat: no reshape, which under a gradient tape would save (copy) the whole batch.
    return matchesFlat ? (floats as Tensor2D) : tf.reshape(floats, [shape[0], this.inputSize]);
  }

  private forward(method: string, x: Tensor, kept: readonly number[], training = false): Tensor2D[] {
    const options = {
      activation: this.spec.activation,
      layerSizes: this.spec.layers.map((l) => l.size),
      denseGradients: this.denseGradients,
      inputNeedsGradient: this.featureStores.length > 0 || this.cellStores !== undefined || this.recurrentStore !== undefined,
    };
    const features = { activation: this.spec.activation, training, denseWeightGradient: this.denseGradients, learned: this.learned };
    // Under dense gradients every structural connection must be in the kernels, so none is left out.
    const binding = this.denseGradients ? (this.fullBinding ?? this.bound()) : this.bound();
    return tf.tidy(() => {
      const flat = this.flatInput(method, x);
      const input =
        this.recurrentStore !== undefined
          ? recurrentForward(this.recurrentStore, flat, { denseWeightGradient: this.denseGradients, learned: this.learned })
          : this.cellStores !== undefined
            ? cellForward(this.featureStores, this.cellStores, flat, this.spec.inputShape, features)
            : this.featureStores.length === 0
              ? flat
              : featureForward(this.featureStores, flat, this.spec.inputShape, features);
      return forwardPass(binding, input, kept, options);
    });
  }

  predict(x: Tensor, options: PredictOptions = {}): Tensor<BatchRank<O>> {
    if (options === null || typeof options !== "object") throw new Error(`${this.name}.predict: options must be an object such as { training: true }, got ${String(options)}`);
    // The output layer is [batch, outputSize]: the rank BatchRank<O> names for O = [outputSize].
    return this.forward("predict", x, [this.spec.layers.length - 1], options.training === true)[0]! as Tensor<BatchRank<O>>;
  }

  activations(x: Tensor, layerNames?: readonly string[]): Record<string, Tensor> {
    if (layerNames !== undefined && !Array.isArray(layerNames)) throw new Error(`${this.name}.activations: expected a list of layer names, got ${typeof layerNames}`);
    const wanted = layerNames ?? this.spec.layers.map((layer) => layer.name);
    const known = new Map(this.spec.layers.map((layer, i) => [layer.name, i]));
    for (const layer of wanted) {
      if (!known.has(layer)) throw new Error(`${this.name}.activations: unknown layer '${layer}'; layers are ${quoteList([...known.keys()])}`);
    }
    const indices = [...new Set(wanted.map((layer) => known.get(layer)!))].sort((a, b) => a - b);
    const tensors = this.forward("activations", x, indices);
    return Object.fromEntries(indices.map((i, k) => [this.spec.layers[i]!.name, tensors[k]!]));
  }

  getMask(block: string): Uint8Array {
    const conv = this.convs.get(block);
    if (conv !== undefined) return currentMask(convMask(conv), this.learned.get(block));
    const recurrent = this.recurrentMasks.get(block);
    if (recurrent !== undefined) {
      this.alive("getMask");
      return currentMask(Uint8Array.from(recurrent.mask.dataSync()), this.learned.get(block));
    }
    const { store, slice } = this.block("getMask", block);
    return blockMask(store, slice);
  }

  setMask(block: string, mask: ArrayLike<number>): void {
    const conv = this.convs.get(block);
    if (conv !== undefined) {
      this.alive("setMask");
      this.checkValues("setMask", `conv layer '${block}'`, mask, [...conv.mask.shape], "binary");
      setConvMask(conv, mask);
      return;
    }
    const recurrent = this.recurrentMasks.get(block);
    if (recurrent !== undefined) {
      this.alive("setMask");
      this.checkValues("setMask", `recurrent weight '${block}'`, mask, [...recurrent.mask.shape], "binary");
      setRecurrentMask(recurrent, mask);
      return;
    }
    const { store, slice } = this.block("setMask", block);
    this.checkValues("setMask", `block '${block}'`, mask, [slice.sourceSize, store.layout.cols], "binary");
    const refused = setBlockMask(store, slice, mask);
    if (refused === undefined) return;
    const [row, col] = [Math.floor(refused / store.layout.cols), refused % store.layout.cols];
    throw new Error(
      `${this.name}.setMask: block '${block}' holds only its structure's ${slice.count} connections; entry ${refused} (row ${row}, column ${col}) is not one of them, so it cannot be switched on (give the .ds file a mask or structure that has it)`,
    );
  }

  getWeights(block: string): Float32Array {
    const { store, slice } = this.block("getWeights", block);
    return blockWeights(store, slice);
  }

  setWeights(block: string, values: ArrayLike<number>): void {
    const { store, slice } = this.block("setWeights", block);
    this.checkValues("setWeights", `block '${block}'`, values, [slice.sourceSize, store.layout.cols], "finite");
    setBlockWeights(store, slice, values);
  }

  getBias(layer: string): Float32Array {
    return readVariable(this.biasStore("getBias", layer).bias);
  }

  setBias(layer: string, values: ArrayLike<number>): void {
    const store = this.biasStore("setBias", layer);
    this.checkValues("setBias", `layer '${layer}'`, values, [store.layout.cols], "finite");
    writeVariable(store.bias, Float32Array.from(values));
  }

  /** Every prunable weight's live entries (dense blocks, convs, recurrent weights), or one weight's by the name getMask takes. */
  liveConnections(weight?: string): number {
    if (weight === undefined) {
      this.alive("liveConnections");
      return prunableWeights(this).reduce((sum, w) => sum + liveOf(this, w), 0);
    }
    if (this.convs.has(weight) || this.recurrentMasks.has(weight)) return this.getMask(weight).reduce((sum, m) => sum + m, 0);
    if (!this.slices.has(weight)) {
      this.alive("liveConnections");
      throw new Error(`${this.name}.liveConnections: unknown weight '${weight}'; weights are ${quoteList(prunableWeights(this).map((w) => w.name))}`);
    }
    const { store, slice } = this.block("liveConnections", weight);
    return liveCount(store, slice);
  }

  /** Per kind of prunable weight the model has, its live entries. */
  liveConnectionsByKind(): Partial<Record<PrunableWeight["kind"], number>> {
    this.alive("liveConnectionsByKind");
    const counts: Partial<Record<PrunableWeight["kind"], number>> = {};
    for (const w of prunableWeights(this)) counts[w.kind] = (counts[w.kind] ?? 0) + liveOf(this, w);
    return counts;
  }

  totalConnections(): number {
    return prunableWeights(this).reduce((sum, w) => sum + w.size, 0);
  }

  denseWeightGradients(data: TrainingData, lossName: LossName = "crossEntropy", options: PredictOptions = {}): Map<string, Float32Array> {
    this.alive("denseWeightGradients");
    if (data === null || typeof data !== "object" || !(data.x instanceof tf.Tensor) || !(data.y instanceof tf.Tensor)) {
      throw new Error(`${this.name}.denseWeightGradients: expected { x, y } with two tensors`);
    }
    const weighted = this.stores.filter((s): s is KernelStore & { weight: Variable } => s.weight !== undefined);
    // Conv and recurrent weights are stored in their masks' shapes, so their gradients are already row-major per mask.
    const shaped = [...[...this.convs].map(([name, c]) => [name, c.weight] as const), ...[...this.recurrentMasks].map(([name, r]) => [name, r.weight] as const)];
    const variables: Variable[] = [...weighted.map((s) => s.weight), ...shaped.map(([, v]) => v)];
    this.denseGradients = true;
    let gradients: Tensor[];
    if (this.bound().compacted) this.fullBinding = keepMade(() => this.rebind({ compact: false }));
    try {
      gradients = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => lossOf(lossName, this.predict(data.x, options) as Tensor2D, data.y), variables);
        return variables.map((v) => grads[v.name]!);
      });
    } finally {
      this.denseGradients = false;
      this.fullBinding?.dispose();
      this.fullBinding = undefined;
    }
    const read = gradients.map((g) => g.dataSync() as Float32Array);
    tf.dispose(gradients);
    const values = new Map<KernelStore, Float32Array>(weighted.map((s, i) => [s, read[i]!]));
    const result = new Map<string, Float32Array>();
    for (const [name, { store, slice }] of this.slices) {
      const perConnection = values.get(store);
      if (perConnection !== undefined) result.set(name, blockMatrix(store, slice, perConnection));
    }
    shaped.forEach(([name], i) => result.set(name, read[weighted.length + i]!));
    return result;
  }

  penalty(): Scalar | undefined {
    const strength = this.spec.learnable?.penalty ?? 0;
    const learning = this.stores.filter((s) => s.learnable !== undefined);
    if (strength === 0 || learning.length + this.learned.size === 0) return undefined;
    return tf.tidy(() => {
      // Mean keep probability over the learnable connections the static masks allow.
      const dense = learning.map((s) => {
        const allowed = tf.mul(tf.tensor(Float32Array.from(s.live), [...s.layout.shape]), s.learnable!.flagTensor);
        return [tf.sum(tf.mul(keepProbability(s.learnable!.logits, s.learnable!.temperature), allowed)), tf.sum(allowed)] as const;
      });
      const staticMask = (name: string): Tensor => this.convs.get(name)?.mask ?? this.recurrentMasks.get(name)!.mask;
      const parts = [...dense, ...keptAndAllowed(this.learned, staticMask)];
      const kept = tf.addN(parts.map(([p]) => p));
      const count = tf.addN(parts.map(([, c]) => c));
      return tf.mul(strength, tf.div(kept, tf.maximum(count, 1))) as Scalar;
    });
  }

  fit(data: TrainingData, options: FitOptions): Promise<History> {
    this.alive("fit");
    return fit(this, data, options);
  }

  evaluate(data: TrainingData, options?: { readonly batchSize?: number; readonly loss?: LossName }): Evaluation {
    this.alive("evaluate");
    return evaluate(this, data, options);
  }

  evaluateAsync(data: TrainingData, options?: { readonly batchSize?: number; readonly loss?: LossName }): Promise<Evaluation> {
    this.alive("evaluateAsync");
    return evaluateAsync(this, data, options);
  }

  predictBatches(x: Tensor, options?: { readonly batchSize?: number }): Tensor<BatchRank<O>> {
    this.alive("predictBatches");
    return predictBatches(this, x, options) as Tensor<BatchRank<O>>;
  }

  extractGraph(options: ExtractOptions): ExtractedGraph {
    this.alive("extractGraph");
    return extractGraph(this, options);
  }

  summary(): ModelSummary {
    this.alive("summary");
    return modelSummary(this);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.binding.dispose();
    for (const store of this.stores) disposeStore(store);
    disposeFeatureStores(this.featureStores);
    disposeCellStores(this.cellStores);
    disposeRecurrentStore(this.recurrentStore);
    disposeLearnedMasks(this.learned);
  }
}

function recurrentInfos(store: RecurrentStore | undefined): readonly RecurrentInfo[] {
  return Object.freeze(
    (store?.layers ?? []).map((l) => {
      const width = l.gates * l.hidden;
      const masks = [
        { name: `${l.name}.input`, shape: [l.inputs, width] as const },
        { name: `${l.name}.hidden`, shape: [l.hidden, width] as const },
      ];
      return Object.freeze({ name: l.name, kind: store!.spec.kind, inputs: l.inputs, hidden: l.hidden, gates: l.gates, masks: Object.freeze(masks) });
    }),
  );
}
