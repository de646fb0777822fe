/**
 * Builds a runnable {@link Model} from the plain-data {@link NetworkSpec}
 * that generated code hands over.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D, Variable } from "@tensorflow/tfjs-core";
import { activate, isActivation } from "./activations.js";
import { useBackend } from "./backend.js";
import { initialEdgeWeights, initialWeights } from "./init.js";
import { kernelConnections, type KernelConnections } from "./kernels/connections.js";
import { initialLogits, keepProbability, learnedMask } from "./kernels/learnable-mask.js";
import { isDenseLayer, runsSparse } from "./kernels/execution.js";
import { gatherColumns } from "./kernels/gather-columns.js";
import { graphKernel, graphKernelAvailable } from "./kernels/graph/graph-kernel.js";
import { maskedDense } from "./kernels/masked-dense.js";
import { layerNorm } from "./layer-norm.js";
import { decodeIntegers } from "./masks/codec.js";
import type { BlockInfo, NetworkOptions, LayerInfo, Model, Parameter } from "./model.js";
import { evaluate, fit, predictBatches } from "./training/fit.js";
import { loss as lossOf } from "./training/losses.js";
import { extractGraph } from "./extract.js";
import { pruneAtCreation } from "./pruning/schedule.js";
import { applySparseStart } from "./growing/dynamic-sparse.js";
import type { ActivationName, Execution, NetworkSpec } from "./spec.js";
import { planExecution, type ExecutionPlan, type GraphStep, type InputPlan } from "./execution-plan.js";

/** A block's place inside its kernel's fused weight: rows [rowOffset, rowOffset + sourceSize). */
interface BlockState {
  readonly info: BlockInfo;
  readonly source: number;
  readonly kernel: KernelState;
  readonly rowOffset: number;
}

interface KernelState {
  readonly target: number;
  readonly targetName: string;
  readonly hidden: boolean;
  /** Each block's source layer and size, in the fused row order. */
  readonly blocks: readonly { readonly source: number; readonly size: number }[];
  /** Whether a source is not the input, so gradients must flow back through the kernel's input. */
  readonly readsHiddenLayers: boolean;
  readonly rows: number;
  readonly cols: number;
  /**
   * Host copy of a dense kernel's fused mask (the source of truth for getMask
   * and liveConnections); a sparse kernel keeps one per connection instead.
   */
  readonly mask: Uint8Array | undefined;
  maskTensor: Tensor2D | undefined;
  /**
   * Sparse execution (in a graph kernel): the kernel's structural connections
   * as edges (fused row, target neuron), their weights (the `.weight`
   * parameter, [edges]) and a 0/1 mask per edge.
   */
  readonly sparse?: {
    readonly rows: Int32Array;
    readonly targets: Int32Array;
    /** The connections of fused row r are rowStart[r] … rowStart[r + 1] − 1 (they are ordered by row). */
    readonly rowStart: Int32Array;
    /** The mask, 0/1 per connection (its graph kernel makes a tensor of it when it changes). */
    readonly live: Uint8Array;
    readonly weight: Variable<tf.Rank.R1>;
  };

  /**
   * Packing (execution `auto`, dense kernels): only the source neurons with a
   * structural connection into this kernel are multiplied. `rowOf[r]` is the
   * packed row of fused row r, or −1; the execution plan gathers the used
   * rows' columns from the sources.
   */
  readonly packed?: { readonly rowOf: Int32Array; readonly used: Int32Array };
  /** Learnable masks: logits [rows, cols, 2] (keep, drop) and which rows learn ([rows, 1], 0/1). */
  readonly learnable?: { readonly logits: Variable<tf.Rank.R3>; readonly rows: Tensor2D; readonly rowFlags: Uint8Array; readonly temperature: number };
  readonly weight: Variable<tf.Rank.R2> | undefined;
  readonly bias: Variable<tf.Rank.R1>;
  readonly gain: Variable<tf.Rank.R1> | undefined;
  readonly shift: Variable<tf.Rank.R1> | undefined;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function quoteList(names: readonly string[]): string {
  return names.length === 0 ? "(none)" : names.map((n) => `'${n}'`).join(", ");
}

/**
 * Rows [first, first + count) of a kernel's fused [rows, cols] layout, from
 * values shaped like its weight: per connection (sparse), per packed row, or
 * fused. Entries the kernel does not store are 0.
 */
function fusedRows(kernel: KernelState, values: Float32Array, first: number, count: number): Float32Array {
  const cols = kernel.cols;
  const out = new Float32Array(count * cols);
  if (kernel.sparse) {
    forEachConnection(kernel, first, count, (entry, e) => (out[entry] = values[e]!));
    return out;
  }
  for (let r = 0; r < count; r++) {
    const stored = kernel.packed ? kernel.packed.rowOf[first + r]! : first + r;
    if (stored >= 0) out.set(values.subarray(stored * cols, (stored + 1) * cols), r * cols);
  }
  return out;
}

/** The mask rows [first, first + count) compute with, row-major. */
function maskRows(kernel: KernelState, first: number, count: number): Uint8Array {
  const sparse = kernel.sparse;
  if (sparse === undefined) return currentMask(kernel).slice(first * kernel.cols, (first + count) * kernel.cols);
  const out = new Uint8Array(count * kernel.cols);
  forEachConnection(kernel, first, count, (entry, e) => (out[entry] = sparse.live[e]!));
  return out;
}

/** For rows [first, first + count) of a sparse kernel: the connection at each row-major entry, or −1. */
function connectionAt(kernel: KernelState, first: number, count: number): Int32Array {
  const at = new Int32Array(count * kernel.cols).fill(-1);
  forEachConnection(kernel, first, count, (entry, e) => (at[entry] = e));
  return at;
}

/** Calls `visit` with each connection of a sparse kernel in rows [first, first + count): its row-major entry there, and its index. */
function forEachConnection(kernel: KernelState, first: number, count: number, visit: (entry: number, connection: number) => void): void {
  const { rowStart, rows, targets } = kernel.sparse!;
  for (let e = rowStart[first]!; e < rowStart[first + count]!; e++) visit((rows[e]! - first) * kernel.cols + targets[e]!, e);
}

/** The index of each row's first connection in a list ordered by row, and the end: [rows + 1]. */
function rowStarts(edgeRows: Int32Array, rows: number): Int32Array {
  const start = new Int32Array(rows + 1);
  for (const r of edgeRows) start[r + 1]!++;
  for (let r = 0; r < rows; r++) start[r + 1]! += start[r]!;
  return start;
}

/** Rows `used` of a row-major [rows, cols] array. */
function pickRows(values: Float32Array, used: Int32Array, cols: number): Float32Array {
  const picked = new Float32Array(used.length * cols);
  used.forEach((row, p) => picked.set(values.subarray(row * cols, (row + 1) * cols), p * cols));
  return picked;
}

/**
 * The rows of a fused mask that hold a connection, and the gather that picks
 * them; undefined when every row is used (nothing to pack).
 */
function packRows(mask: Uint8Array, rows: number, cols: number): KernelState["packed"] {
  const rowOf = new Int32Array(rows).fill(-1);
  const used: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (mask[r * cols + c] === 1) {
        rowOf[r] = used.length;
        used.push(r);
        break;
      }
    }
  }
  if (used.length === rows) return undefined;
  return { rowOf, used: Int32Array.from(used) };
}

/**
 * The mask a kernel computes with now: its static mask, and where its rows are
 * learnable, only the connections whose keep logit exceeds the drop logit
 * (keep probability above one half).
 */
function currentMask(kernel: KernelState): Uint8Array {
  const learnable = kernel.learnable;
  if (learnable === undefined) return kernel.mask!;
  const logits = learnable.logits.dataSync();
  const mask = kernel.mask!.slice();
  for (let i = 0; i < mask.length; i++) {
    if (learnable.rowFlags[Math.floor(i / kernel.cols)] === 1 && logits[2 * i]! <= logits[2 * i + 1]!) mask[i] = 0;
  }
  return mask;
}

/** Per backend, whether the graph kernel runs there (see `graphKernelAvailable`). */
const graphKernels = new Map<string, boolean>();

/** Sparse kernels run as graph kernels; where those cannot run, `auto` runs every kernel dense. */
function canRunSparse(execution: Execution, backend: string): boolean {
  let available = graphKernels.get(backend);
  if (available === undefined) graphKernels.set(backend, (available = graphKernelAvailable()));
  if (!available && execution === "sparse") {
    throw new Error(`execution "sparse" runs on WebAssembly, which the '${backend}' backend here cannot share; use "auto" or "dense"`);
  }
  return available;
}

/** Checks the structure of a spec; throws an Error naming the network and the problem. */
function validateSpec(spec: NetworkSpec): void {
  const fail: (message: string) => never = (message) => {
    throw new Error(`${spec.name}: invalid network spec: ${message}`);
  };
  if (!isActivation(spec.activation)) fail(`unknown activation '${String(spec.activation)}'`);
  if (spec.inputShape.length === 0 || spec.inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    fail(`input shape ${shapeText(spec.inputShape)} must be a non-empty list of positive integers`);
  }
  const { layers, blocks, kernels } = spec;
  if (layers.length < 2) fail(`needs at least an input and an output layer, got ${layers.length} layer(s)`);
  const layerNames = new Set<string>();
  layers.forEach((layer, i) => {
    if (layerNames.has(layer.name)) fail(`layer name '${layer.name}' is used twice`);
    layerNames.add(layer.name);
    if (!Number.isInteger(layer.size) || layer.size <= 0) fail(`layer '${layer.name}' has size ${layer.size}`);
    const expected = i === 0 ? "input" : i === layers.length - 1 ? "output" : "hidden";
    if (layer.kind !== expected) fail(`layer ${i} ('${layer.name}') is '${layer.kind}' but must be '${expected}'`);
  });
  const input = layers[0]!;
  if (input.size !== product(spec.inputShape)) {
    fail(`input layer '${input.name}' has ${input.size} neurons but the input shape ${shapeText(spec.inputShape)} has ${product(spec.inputShape)}`);
  }
  const blockNames = new Set<string>();
  blocks.forEach((block, i) => {
    if (blockNames.has(block.name)) fail(`block name '${block.name}' is used twice`);
    blockNames.add(block.name);
    const inRange = (index: number): boolean => Number.isInteger(index) && index >= 0 && index < layers.length;
    if (!inRange(block.source)) fail(`block ${i} ('${block.name}') has source layer index ${block.source}`);
    if (!inRange(block.target) || block.target === 0) fail(`block ${i} ('${block.name}') has target layer index ${block.target}`);
  });
  const computed = new Array<boolean>(layers.length).fill(false);
  computed[0] = true;
  const kernelOfBlock = new Array<number | undefined>(blocks.length).fill(undefined);
  kernels.forEach((kernel, k) => {
    const target = layers[kernel.target];
    if (target === undefined || kernel.target === 0) fail(`kernel ${k} has target layer index ${kernel.target}`);
    if (computed[kernel.target]) fail(`layer '${target!.name}' is the target of more than one kernel`);
    for (const b of kernel.blocks) {
      const block = blocks[b];
      if (block === undefined) return fail(`kernel ${k} refers to block index ${b}, but there are ${blocks.length} blocks`);
      if (kernelOfBlock[b] !== undefined) fail(`block '${block.name}' belongs to kernels ${kernelOfBlock[b]} and ${k}`);
      kernelOfBlock[b] = k;
      if (block.target !== kernel.target) fail(`block '${block.name}' targets layer '${layers[block.target]!.name}' but is in the kernel of '${target!.name}'`);
      if (!computed[block.source]) fail(`kernel ${k} ('${target!.name}') reads layer '${layers[block.source]!.name}' before it is computed`);
    }
    computed[kernel.target] = true;
  });
  blocks.forEach((block, b) => {
    if (kernelOfBlock[b] === undefined) fail(`block '${block.name}' is in no kernel`);
  });
  layers.forEach((layer, i) => {
    if (!computed[i]) fail(`layer '${layer.name}' is computed by no kernel`);
  });
}

/**
 * Builds a network from its spec: selects the backend, decodes the masks and
 * initialises the weights from the seeded random source.
 *
 * @param spec - the plain-data description emitted by the compiler.
 * @param options - `seed` of the initial weights (default 0) and `backend`
 *   (default `"auto"`: WASM, falling back to CPU).
 * @throws Error if the spec is inconsistent or the requested backend is unavailable.
 */
export async function createNetwork<I extends readonly number[] = readonly number[], O extends readonly number[] = readonly number[]>(
  spec: NetworkSpec,
  options: NetworkOptions = {},
): Promise<Model<I, O>> {
  validateSpec(spec);
  const seed = options.seed ?? 0;
  const execution = options.execution ?? spec.execution ?? "auto";
  const backend = await useBackend(options.backend ?? "auto");

  const name = spec.name;
  const activation: ActivationName = spec.activation;
  const inputShape = Object.freeze([...spec.inputShape]) as unknown as I;
  const inputSize = product(spec.inputShape);
  const outputIndex = spec.layers.length - 1;
  const outputSize = spec.layers[outputIndex]!.size;
  const outputShape = Object.freeze([outputSize]) as unknown as O;

  const layers: readonly LayerInfo[] = Object.freeze(
    spec.layers.map((layer): LayerInfo => {
      const info = { name: layer.name, kind: layer.kind, size: layer.size };
      if (layer.vertices === undefined) return Object.freeze(info);
      const vertices = decodeIntegers(layer.vertices);
      if (vertices.length !== layer.size) {
        throw new Error(`${name}: invalid network spec: layer '${layer.name}' has ${layer.size} neurons but ${vertices.length} vertices`);
      }
      return Object.freeze({ ...info, vertices: Object.freeze(vertices) });
    }),
  );
  const blockInfos: readonly BlockInfo[] = Object.freeze(
    spec.blocks.map((block) =>
      Object.freeze({
        name: block.name,
        source: spec.layers[block.source]!.name,
        target: spec.layers[block.target]!.name,
        sourceSize: spec.layers[block.source]!.size,
        targetSize: spec.layers[block.target]!.size,
      }),
    ),
  );

  const kernels: KernelState[] = [];
  const blockStates = new Map<string, BlockState>();
  const kernelOfLayer = new Map<string, KernelState>();
  const parameters: Parameter[] = [];
  const created: (Tensor | Variable)[] = [];
  let plan: ExecutionPlan;

  try {
    for (const [kernelIndex, kernelSpec] of spec.kernels.entries()) {
      const target = spec.layers[kernelSpec.target]!;
      let connections: KernelConnections;
      try {
        connections = kernelConnections(spec, kernelSpec);
      } catch (error) {
        throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const { rows, cols } = connections;

      let mask: Uint8Array | undefined;
      let weight: Variable<tf.Rank.R2> | undefined;
      let maskTensor: Tensor2D | undefined;
      let sparse: KernelState["sparse"];
      let packed: KernelState["packed"];
      if (rows > 0) {
        const learns = spec.learnable?.blocks.some((b) => kernelSpec.blocks.some((k) => spec.blocks[k]!.name === b)) ?? false;
        if (!learns && runsSparse(execution, { denseLayer: isDenseLayer(spec, kernelSpec, rows, connections.edges), rows: connections.usedRows, cols, edges: connections.edges }) && canRunSparse(execution, backend)) {
          // Memory follows the connections: no rows × cols array is made.
          const edges = connections.edgeList();
          const edgeWeight = tf.variable(tf.tensor1d(initialEdgeWeights(seed, kernelIndex, edges.rows, edges.targets, cols, activation)), true);
          created.push(edgeWeight);
          const live = new Uint8Array(connections.edges).fill(1);
          sparse = { rows: edges.rows, targets: edges.targets, rowStart: rowStarts(edges.rows, rows), live, weight: edgeWeight };
        } else {
          mask = connections.denseMask();
          const initialValues = initialWeights(seed, kernelIndex, mask, rows, cols, activation);
          packed = !learns && execution === "auto" ? packRows(mask, rows, cols) : undefined;
          const used = packed?.used;
          const packedRows = used?.length ?? rows;
          const values = used ? pickRows(initialValues, used, cols) : initialValues;
          const initial = tf.tensor2d(values, [packedRows, cols], "float32");
          weight = tf.variable(initial, true);
          initial.dispose();
          created.push(weight);
          maskTensor = tf.tensor2d(used ? pickRows(Float32Array.from(mask), used, cols) : Float32Array.from(mask), [packedRows, cols], "float32");
          created.push(maskTensor);
        }
      }
      const bias = tf.variable(tf.zeros([cols], "float32") as Tensor1D, true);
      created.push(bias);
      const hidden = target.kind === "hidden";
      let gain: Variable<tf.Rank.R1> | undefined;
      let shift: Variable<tf.Rank.R1> | undefined;
      if (hidden && spec.layerNorm && cols > 1) {
        gain = tf.variable(tf.ones([cols], "float32") as Tensor1D, true);
        created.push(gain);
        shift = tf.variable(tf.zeros([cols], "float32") as Tensor1D, true);
        created.push(shift);
      }

      // Rows of blocks named by the spec's `learnable` get logits that train with the weights.
      const learnableBlocks = new Set(spec.learnable?.blocks ?? []);
      const rowFlags = new Uint8Array(rows);
      let flagOffset = 0;
      for (const b of kernelSpec.blocks) {
        if (learnableBlocks.has(spec.blocks[b]!.name)) rowFlags.fill(1, flagOffset, flagOffset + blockInfos[b]!.sourceSize);
        flagOffset += blockInfos[b]!.sourceSize;
      }
      let learnable: KernelState["learnable"];
      if (spec.learnable !== undefined && rowFlags.includes(1)) {
        const { keep, temperature } = spec.learnable;
        const initial = tf.tensor3d(initialLogits(rows, cols, keep, temperature), [rows, cols, 2]);
        const logits = tf.variable(initial, true);
        initial.dispose();
        const flags = tf.tensor2d(Float32Array.from(rowFlags), [rows, 1]);
        created.push(logits, flags);
        learnable = { logits, rows: flags, rowFlags, temperature };
      }

      const kernel: KernelState = {
        ...(learnable ? { learnable } : {}),
        ...(sparse ? { sparse } : {}),
        ...(packed ? { packed } : {}),
        target: kernelSpec.target,
        targetName: target.name,
        hidden,
        blocks: kernelSpec.blocks.map((b) => ({ source: spec.blocks[b]!.source, size: blockInfos[b]!.sourceSize })),
        readsHiddenLayers: kernelSpec.blocks.some((b) => spec.blocks[b]!.source !== 0),
        rows,
        cols,
        mask,
        maskTensor,
        weight,
        bias,
        gain,
        shift,
      };
      kernels.push(kernel);
      kernelOfLayer.set(target.name, kernel);
      let rowOffset = 0;
      for (const b of kernelSpec.blocks) {
        const info = blockInfos[b]!;
        blockStates.set(info.name, { info, source: spec.blocks[b]!.source, kernel, rowOffset });
        rowOffset += info.sourceSize;
      }
      if (weight !== undefined) parameters.push({ name: `${target.name}.weight`, variable: weight });
      if (sparse !== undefined) parameters.push({ name: `${target.name}.weight`, variable: sparse.weight });
      parameters.push({ name: `${target.name}.bias`, variable: bias });
      if (gain !== undefined && shift !== undefined) {
        parameters.push({ name: `${target.name}.gain`, variable: gain }, { name: `${target.name}.shift`, variable: shift });
      }
      if (learnable !== undefined) parameters.push({ name: `${target.name}.maskLogits`, variable: learnable.logits });
    }
    plan = planExecution(
      kernels.map((k) => ({
        target: k.target,
        size: k.cols,
        hidden: k.hidden,
        blocks: k.blocks,
        ...(k.sparse ? { edges: { rows: k.sparse.rows, targets: k.sparse.targets } } : {}),
        ...(k.packed ? { usedRows: k.packed.used } : {}),
      })),
      { layerSizes: spec.layers.map((l) => l.size), layerNorm: spec.layerNorm },
    );
  } catch (error) {
    for (const tensor of created) tensor.dispose();
    throw error;
  }
  const frozenParameters: readonly Parameter[] = Object.freeze(parameters.map((p) => Object.freeze(p)));

  // A graph kernel's mask: its members' connection masks one after another, made again when one changes.
  const graphOfKernel = new Map<KernelState, GraphStep>();
  const graphMasks = new Map<number, Tensor1D>();
  const makeGraphMask = (step: GraphStep): void => {
    const members = step.members.map((k) => kernels[k]!.sparse!.live);
    const values = new Float32Array(members.reduce((n, live) => n + live.length, 0));
    let offset = 0;
    for (const live of members) {
      values.set(live, offset);
      offset += live.length;
    }
    graphMasks.get(step.index)?.dispose();
    graphMasks.set(step.index, tf.tensor1d(values));
  };
  for (const step of plan.steps) {
    if (step.kind !== "graph") continue;
    for (const k of step.members) graphOfKernel.set(kernels[k]!, step);
    makeGraphMask(step);
  }

  let disposed = false;
  /** While set, forward passes give every weight its unmasked gradient (see `denseWeightGradients`). */
  let denseGradients = false;
  const alive = (method: string): void => {
    if (disposed) throw new Error(`${name}.${method}: the model has been disposed`);
  };

  const blockState = (method: string, block: string): BlockState => {
    alive(method);
    const state = blockStates.get(block);
    if (state === undefined) {
      throw new Error(`${name}.${method}: unknown block '${block}'; blocks are ${quoteList(blockInfos.map((b) => b.name))}`);
    }
    return state;
  };

  const biasKernel = (method: string, layer: string): KernelState => {
    alive(method);
    const kernel = kernelOfLayer.get(layer);
    if (kernel === undefined) {
      const withBias = kernels.map((k) => k.targetName);
      const reason = layer === spec.layers[0]!.name ? `'${layer}' is the input layer and has no bias` : `unknown layer '${layer}'`;
      throw new Error(`${name}.${method}: ${reason}; layers with a bias are ${quoteList(withBias)}`);
    }
    return kernel;
  };

  const checkLength = (method: string, what: string, values: ArrayLike<number>, expected: number, shape: readonly number[]): void => {
    if (values === null || typeof values !== "object" || typeof values.length !== "number") {
      throw new Error(`${name}.${method}: ${what} expects an array of ${expected} numbers`);
    }
    if (values.length !== expected) {
      throw new Error(`${name}.${method}: ${what} expects ${expected} entries (${shapeText(shape)}), got ${values.length}`);
    }
  };

  const checkFinite = (method: string, what: string, values: ArrayLike<number>): void => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new Error(`${name}.${method}: ${what} entry ${i} is ${String(v)}; values must be finite numbers`);
      }
    }
  };

  /** A copy of a variable's values (a backend may hand out its own storage). */
  const read = (variable: Variable): Float32Array => Float32Array.from(variable.dataSync() as Float32Array);

  const write = (variable: Variable, values: Float32Array): void => {
    const next = tf.tensor(values, variable.shape, "float32");
    variable.assign(next);
    next.dispose();
  };

  const expectedShape = (): string => {
    const full = shapeText(["batch", ...spec.inputShape]);
    return spec.inputShape.length === 1 ? full : `${full} or ${shapeText(["batch", inputSize])}`;
  };

  /**
   * The activations of the layers at `kept` (indices, ascending) for a batch:
   * the input flattened, hidden layers activated, the output as logits. The
   * others are freed on the way.
   */
  const forward = (method: string, x: Tensor, kept: readonly number[]): Tensor2D[] => {
    alive(method);
    if (x === null || typeof x !== "object" || !Array.isArray((x as { shape?: unknown }).shape)) {
      throw new Error(`${name}.${method}: expected a tensor of shape ${expectedShape()}, got ${x === null ? "null" : typeof x}`);
    }
    const shape = x.shape;
    const batch = shape[0];
    const matchesFull = shape.length === spec.inputShape.length + 1 && spec.inputShape.every((d, i) => shape[i + 1] === d);
    const matchesFlat = shape.length === 2 && shape[1] === inputSize;
    if (batch === undefined || (!matchesFull && !matchesFlat)) {
      throw new Error(`${name}.${method}: expected input of shape ${expectedShape()}, got ${shapeText(shape)}`);
    }
    if (x.dtype === "string") {
      throw new Error(`${name}.${method}: expected a numeric tensor, got dtype 'string'`);
    }
    return tf.tidy(() => {
      const floats = x.dtype === "float32" ? x : tf.cast(x, "float32");
      const layerValues = new Array<Tensor2D | undefined>(spec.layers.length);
      const graphValues = new Array<Tensor2D | undefined>(plan.steps.length);
      const everyNeuronValues = new Array<Tensor2D | undefined>(plan.steps.length);
      layerValues[0] = tf.reshape(floats, [batch, inputSize]);
      // A hidden layer inside a graph kernel is handed out whole only when asked for.
      const everyNeuron = new Set<number>();
      for (const i of kept) {
        const holder = plan.holders[i]!;
        if (holder.kind === "graph" && i !== outputIndex) everyNeuron.add(holder.graph);
      }
      const assemble = (input: InputPlan): Tensor2D => {
        const parts = input.parts.map((part) => (part.kind === "layer" ? layerValues[part.layer]! : graphValues[part.graph]!));
        const joined = parts.length === 1 ? parts[0]! : tf.concat2d(parts, 1);
        return input.pick ? gatherColumns(joined, input.pick) : joined;
      };
      const finish = (kernel: KernelState, pre: Tensor2D): void => {
        if (kernel.hidden) {
          if (kernel.gain !== undefined && kernel.shift !== undefined) pre = layerNorm(pre, kernel.gain, kernel.shift);
          pre = activate(activation, pre);
        }
        layerValues[kernel.target] = pre;
      };
      for (const step of plan.steps) {
        if (step.kind === "graph") {
          const members = step.members.map((k) => kernels[k]!);
          const out = graphKernel(
            assemble(step.input),
            members.map((k) => ({ weight: k.sparse!.weight, bias: k.bias })),
            graphMasks.get(step.index)!,
            step.structure,
            everyNeuron.has(step.index) ? step.allExports : step.exports,
            { activation: step.activates ? activation : "linear", inputNeedsGradient: step.readsHiddenLayers, maskWeightGradient: !denseGradients },
          );
          // Readers index the usual exports, a prefix of the every-neuron output.
          if (everyNeuron.has(step.index)) {
            everyNeuronValues[step.index] = out;
            graphValues[step.index] = tf.slice(out, [0, 0], [batch, step.exports.size]);
          } else {
            graphValues[step.index] = out;
          }
          // Without activation inside, the kernel is one layer's pre-activations, in order.
          if (!step.activates) finish(members[0]!, out);
          continue;
        }
        const kernel = kernels[step.kernel]!;
        if (kernel.weight === undefined || kernel.maskTensor === undefined) {
          finish(kernel, tf.add(tf.zeros([batch, kernel.cols]), kernel.bias));
          continue;
        }
        const joined = assemble(step.input);
        const options = { inputNeedsGradient: kernel.readsHiddenLayers, denseWeightGradient: denseGradients };
        finish(
          kernel,
          kernel.learnable
            ? maskedDense(joined, kernel.weight, learnedMask(kernel.maskTensor, kernel.learnable.logits, kernel.learnable.rows, kernel.learnable.temperature), kernel.bias, { ...options, maskNeedsGradient: true })
            : maskedDense(joined, kernel.weight, kernel.maskTensor, kernel.bias, options),
        );
      }
      const valueOf = (i: number): Tensor2D => {
        const holder = plan.holders[i]!;
        if (holder.kind === "layer") return layerValues[i]!;
        const step = plan.steps.find((s): s is GraphStep => s.kind === "graph" && s.index === holder.graph)!;
        const size = spec.layers[i]!.size;
        // The output layer goes out whole and in order; other layers come from the every-neuron block.
        if (i === outputIndex) return tf.slice(graphValues[holder.graph]!, [0, step.columns.get(i)![0]!], [batch, size]);
        return tf.slice(everyNeuronValues[holder.graph]!, [0, step.exports.size + step.layerOffsets.get(i)!], [batch, size]);
      };
      return kept.map(valueOf);
    });
  };

  const model: Model<I, O> = {
    name,
    spec,
    inputShape,
    outputShape,
    backend,
    layers,
    blocks: blockInfos,
    parameters: frozenParameters,
    execution: Object.freeze(
      plan.steps.map((step) =>
        Object.freeze({ kind: step.kind, layers: Object.freeze((step.kind === "graph" ? step.members : [step.kernel]).map((k) => kernels[k]!.targetName)) }),
      ),
    ),

    predict(x: Tensor): Tensor {
      return forward("predict", x, [outputIndex])[0]!;
    },

    activations(x: Tensor, layerNames?: readonly string[]): Record<string, Tensor> {
      const wanted = layerNames ?? spec.layers.map((layer) => layer.name);
      const known = new Map(spec.layers.map((layer, i) => [layer.name, i]));
      for (const layer of wanted) {
        if (!known.has(layer)) throw new Error(`${name}.activations: unknown layer '${layer}'; layers are ${quoteList([...known.keys()])}`);
      }
      const indices = [...new Set(wanted.map((layer) => known.get(layer)!))].sort((a, b) => a - b);
      const tensors = forward("activations", x, indices);
      return Object.fromEntries(indices.map((i, k) => [spec.layers[i]!.name, tensors[k]!]));
    },

    getMask(block: string): Uint8Array {
      const { info, kernel, rowOffset } = blockState("getMask", block);
      return maskRows(kernel, rowOffset, info.sourceSize);
    },

    setMask(block: string, mask: ArrayLike<number>): void {
      const { info, kernel, rowOffset } = blockState("setMask", block);
      const size = info.sourceSize * info.targetSize;
      checkLength("setMask", `block '${block}'`, mask, size, [info.sourceSize, info.targetSize]);
      for (let i = 0; i < size; i++) {
        const v = mask[i];
        if (v !== 0 && v !== 1) {
          throw new Error(`${name}.setMask: block '${block}' entry ${i} is ${String(v)}; a mask holds only 0 and 1`);
        }
      }
      const start = rowOffset * kernel.cols;
      const sparse = kernel.sparse;
      if (sparse !== undefined) {
        const at = connectionAt(kernel, rowOffset, info.sourceSize);
        for (let i = 0; i < size; i++) {
          if (mask[i] === 1 && at[i] === -1) {
            throw new Error(`${name}.setMask: block '${block}' runs as a sparse kernel, which holds only its structure's connections; entry ${i} is not one of them (create the network with execution "dense" to switch on any connection)`);
          }
        }
        for (let i = 0; i < size; i++) if (at[i]! >= 0) sparse.live[at[i]!] = mask[i]!;
        makeGraphMask(graphOfKernel.get(kernel)!);
        return;
      }
      const fused = kernel.mask!;
      const packing = kernel.packed;
      if (packing !== undefined) {
        for (let i = 0; i < size; i++) {
          if (mask[i] === 1 && packing.rowOf[rowOffset + Math.floor(i / kernel.cols)] === -1) {
            throw new Error(`${name}.setMask: block '${block}' runs packed: source neuron ${Math.floor(i / kernel.cols)} has no connection in its structure (create the network with execution "dense" to switch on any connection)`);
          }
        }
      }
      for (let i = 0; i < size; i++) fused[start + i] = mask[i]!;
      if (packing !== undefined) {
        const next = tf.tensor2d(pickRows(Float32Array.from(fused), packing.used, kernel.cols), [packing.used.length, kernel.cols], "float32");
        kernel.maskTensor?.dispose();
        kernel.maskTensor = next;
        return;
      }
      const next = tf.tensor2d(Float32Array.from(fused), [kernel.rows, kernel.cols], "float32");
      kernel.maskTensor?.dispose();
      kernel.maskTensor = next;
    },

    getWeights(block: string): Float32Array {
      const { info, kernel, rowOffset } = blockState("getWeights", block);
      const out = fusedRows(kernel, read((kernel.sparse?.weight ?? kernel.weight)!), rowOffset, info.sourceSize);
      const live = maskRows(kernel, rowOffset, info.sourceSize);
      for (let i = 0; i < out.length; i++) if (live[i] === 0) out[i] = 0;
      return out;
    },

    setWeights(block: string, values: ArrayLike<number>): void {
      const { info, kernel, rowOffset } = blockState("setWeights", block);
      const size = info.sourceSize * info.targetSize;
      checkLength("setWeights", `block '${block}'`, values, size, [info.sourceSize, info.targetSize]);
      checkFinite("setWeights", `block '${block}'`, values);
      const sparse = kernel.sparse;
      if (sparse !== undefined) {
        // Entries outside the structure have nowhere to go in a sparse kernel.
        const edges = read(sparse.weight);
        const at = connectionAt(kernel, rowOffset, info.sourceSize);
        for (let i = 0; i < size; i++) if (at[i]! >= 0) edges[at[i]!] = values[i]!;
        write(sparse.weight, edges);
        return;
      }
      const weight = kernel.weight!;
      const all = read(weight);
      const rowOf = kernel.packed?.rowOf;
      for (let i = 0; i < size; i++) {
        const row = rowOffset + Math.floor(i / kernel.cols);
        const packedRow = rowOf ? rowOf[row]! : row;
        // A packed kernel has no room for source neurons without connections.
        if (packedRow >= 0) all[packedRow * kernel.cols + (i % kernel.cols)] = values[i]!;
      }
      write(weight, all);
    },

    getBias(layer: string): Float32Array {
      return read(biasKernel("getBias", layer).bias);
    },

    setBias(layer: string, values: ArrayLike<number>): void {
      const kernel = biasKernel("setBias", layer);
      checkLength("setBias", `layer '${layer}'`, values, kernel.cols, [kernel.cols]);
      checkFinite("setBias", `layer '${layer}'`, values);
      write(kernel.bias, Float32Array.from(values));
    },

    liveConnections(block?: string): number {
      /** Live connections in fused rows [first, first + count). */
      const count = (kernel: KernelState, first: number, rowCount: number): number => {
        const sparse = kernel.sparse;
        const [mask, start, end] = sparse
          ? [sparse.live, sparse.rowStart[first]!, sparse.rowStart[first + rowCount]!]
          : [currentMask(kernel), first * kernel.cols, (first + rowCount) * kernel.cols];
        let live = 0;
        for (let i = start; i < end; i++) if (mask[i] !== 0) live++;
        return live;
      };
      if (block === undefined) {
        alive("liveConnections");
        return kernels.reduce((sum, kernel) => sum + count(kernel, 0, kernel.rows), 0);
      }
      const { info, kernel, rowOffset } = blockState("liveConnections", block);
      return count(kernel, rowOffset, info.sourceSize);
    },

    denseWeightGradients(data, lossName = "crossEntropy") {
      alive("denseWeightGradients");
      const weights = kernels.filter((k) => k.weight !== undefined || k.sparse !== undefined);
      const variableOf = (k: KernelState): Variable => (k.sparse?.weight ?? k.weight)!;
      denseGradients = true;
      let fused: Tensor[];
      try {
        fused = tf.tidy(() => {
          const { grads } = tf.variableGrads(() => lossOf(lossName, model.predict(data.x) as Tensor2D, data.y), weights.map(variableOf));
          return weights.map((k) => grads[variableOf(k).name]!);
        });
      } finally {
        denseGradients = false;
      }
      // Gradients are shaped like the weights (per connection, packed rows): each block's rows in its own layout.
      const values = new Map(weights.map((k, i) => [k, fused[i]!.dataSync() as Float32Array]));
      tf.dispose(fused);
      const result = new Map<string, Float32Array>();
      for (const [block, state] of blockStates) {
        const all = values.get(state.kernel);
        if (all !== undefined) result.set(block, fusedRows(state.kernel, all, state.rowOffset, state.info.sourceSize));
      }
      return result;
    },

    penalty() {
      const strength = spec.learnable?.penalty ?? 0;
      const learning = kernels.filter((k) => k.learnable !== undefined && k.maskTensor !== undefined);
      if (strength === 0 || learning.length === 0) return undefined;
      return tf.tidy(() => {
        // Mean keep probability over the learnable connections the static masks allow.
        const parts = learning.map((k) => {
          const allowed = tf.mul(k.maskTensor!, k.learnable!.rows);
          return [tf.sum(tf.mul(keepProbability(k.learnable!.logits, k.learnable!.temperature), allowed)), tf.sum(allowed)] as const;
        });
        const kept = tf.addN(parts.map(([p]) => p));
        const count = tf.addN(parts.map(([, c]) => c));
        return tf.mul(strength, tf.div(kept, tf.maximum(count, 1))) as tf.Scalar;
      });
    },

    fit(data, options) {
      alive("fit");
      return fit(model, data, options);
    },

    evaluate(data, options) {
      alive("evaluate");
      return evaluate(model, data, options);
    },

    predictBatches(x, options) {
      alive("predictBatches");
      return predictBatches(model, x, options);
    },

    extractGraph(options) {
      alive("extractGraph");
      return extractGraph(model, options);
    },

    totalConnections(): number {
      return blockInfos.reduce((sum, b) => sum + b.sourceSize * b.targetSize, 0);
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      plan.dispose();
      for (const mask of graphMasks.values()) mask.dispose();
      for (const kernel of kernels) {
        kernel.weight?.dispose();
        kernel.maskTensor?.dispose();
        kernel.bias.dispose();
        kernel.gain?.dispose();
        kernel.shift?.dispose();
        kernel.learnable?.logits.dispose();
        kernel.sparse?.weight.dispose();
        kernel.learnable?.rows.dispose();
        kernel.maskTensor = undefined;
      }
    },
  };
  if (spec.growth !== undefined) applySparseStart(model, spec.growth);
  pruneAtCreation(model, spec.pruning ?? []);
  return model;
}
