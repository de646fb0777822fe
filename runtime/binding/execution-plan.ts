/**
 * The kernel plan (plan/steps.ts) made runnable: the tensors a forward pass
 * hands its kernels — each reader's column pick, and per graph kernel its
 * structure (every connection's source and target neuron) for the sparse
 * kernel that runs it, the neurons it hands out, and where each layer's
 * neurons are in its output.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D } from "@tensorflow/tfjs-core";
import { columnPick } from "../kernels/gather-columns.js";
import { disposeGraphStructure, graphStructure, type GraphStructure } from "../kernels/graph/graph-kernel.js";
import { disposeLayeredStructure, layeredStructure, type LayeredStructure } from "../kernels/gpu/layered-graph.js";
import type { SparseKernelName } from "./sparse-kernels.js";
import { rowNeuron, type Holder, type KernelPlanSteps, type GraphStepPlan, type PlannedKernel, type PlanOptions } from "../plan/steps.js";

export type { Holder, PlannedKernel } from "../plan/steps.js";

/** A reader's input: `parts` side by side, then the columns `pick` (all of them, in order, when undefined). */
export interface InputPlan {
  readonly parts: readonly Holder[];
  readonly pick: Tensor1D | undefined;
}

export interface GraphStep {
  readonly kind: "graph";
  readonly index: number;
  /** Indices of the member kernels, in order. */
  readonly members: readonly number[];
  /** The WebAssembly graph kernel's structure, or the member-by-member one of the GPU kernels (gpu/layered-graph.ts). */
  readonly structure: GraphStructure | LayeredStructure;
  readonly input: InputPlan;
  /** Whether an external source is a computed layer (not the network's input), so the input needs a gradient. */
  readonly readsHiddenLayers: boolean;
  /** Whether activation happens inside (false with layer normalisation: the kernel computes pre-activations). */
  readonly activates: boolean;
  /** The neurons handed out, and for each member layer the column of each of its neurons (−1: not handed out). */
  readonly exports: Tensor1D;
  readonly columns: ReadonlyMap<number, Int32Array>;
  /** Every neuron handed out after the usual exports, for `activations` of a layer inside: its columns start at `exports.size`. */
  readonly allExports: Tensor1D;
  readonly layerOffsets: ReadonlyMap<number, number>;
  /**
   * Whether the kernel may hand out its neurons as they lie in it, neuron-major
   * ([neurons, batch]), to its one reader, a dense kernel that multiplies them
   * transposed: it hands out every neuron in order, activated, none of them
   * the network's output, and nothing else reads them. Saves transposing
   * them out and their gradient back in.
   */
  readonly neuronMajor: boolean;
}

export interface DenseStep {
  readonly kind: "dense";
  readonly kernel: number;
  readonly input: InputPlan;
}

export interface ExecutionPlan {
  readonly steps: readonly (DenseStep | GraphStep)[];
  /** Per layer, where its activations are. */
  readonly holders: readonly Holder[];
  dispose(): void;
}

export function bindPlan(plan: KernelPlanSteps, kernels: readonly PlannedKernel[], options: PlanOptions, sparseKernel: SparseKernelName = "graph-kernel"): ExecutionPlan {
  const created: (GraphStructure | LayeredStructure | Tensor1D)[] = [];
  const inputOf = (input: KernelPlanSteps["steps"][number]["input"]): InputPlan => {
    const pick = input.pick === undefined ? undefined : columnPick(input.pick);
    if (pick) created.push(pick);
    return { parts: input.parts, pick };
  };
  try {
    const steps = plan.steps.map((step): DenseStep | GraphStep => {
      if (step.kind === "dense") return { kind: "dense", kernel: step.kernel, input: inputOf(step.input) };
      const folded = sparseKernel === "graph-kernel" ? foldedPick(step.input, plan, options) : undefined;
      const input = folded === undefined ? inputOf(step.input) : { parts: step.input.parts, pick: undefined };
      const bound = graphStep(step, kernels, options, input, sparseKernel, folded);
      created.push(bound.structure, bound.exports, bound.allExports);
      return { ...bound, neuronMajor: sparseKernel === "graph-kernel" && bound.activates && handsOutWhole(step, kernels) && soleDenseReader(plan, step.index) };
    });
    return { steps, holders: plan.holders, dispose: () => disposeAll(created) };
  } catch (error) {
    disposeAll(created);
    throw error;
  }
}

/** Whether a graph step hands out every neuron it computes, in order, all of them activated hidden ones. */
function handsOutWhole(step: GraphStepPlan, kernels: readonly PlannedKernel[]): boolean {
  const neurons = step.members.reduce((n, k) => n + kernels[k]!.size, 0);
  return kernels[step.members.at(-1)!]!.hidden && step.exports.length === neurons && step.exports.every((v, i) => v === i);
}

/** Whether the graph step's output is read by one step only, a dense one, as its whole input. */
function soleDenseReader(plan: KernelPlanSteps, graph: number): boolean {
  const reads = (parts: readonly Holder[]): boolean => parts.some((p) => p.kind === "graph" && p.graph === graph);
  const readers = plan.steps.filter((s) => reads(s.input.parts));
  if (readers.length !== 1 || readers[0]!.kind !== "dense") return false;
  const { parts, pick } = readers[0]!.input;
  return parts.length === 1 && pick === undefined;
}

function disposeAll(created: readonly (GraphStructure | LayeredStructure | Tensor1D)[]): void {
  for (const item of created) {
    if ("product" in item) disposeLayeredStructure(item);
    else if ("members" in item) disposeGraphStructure(item);
    else (item as Tensor1D).dispose();
  }
}

/**
 * A graph kernel's column pick folded into its structure: its sources then
 * name columns of the joined input, which the kernel transposes whole, in
 * place of a gather before it (one pass over the input instead of two). Done
 * where the pick takes at least half the joined columns; else undefined.
 */
function foldedPick(input: KernelPlanSteps["steps"][number]["input"], plan: KernelPlanSteps, options: PlanOptions): { columns: readonly number[]; width: number } | undefined {
  if (input.pick === undefined) return undefined;
  const width = input.parts.reduce((n, part) => {
    if (part.kind === "layer") return n + options.layerSizes[part.layer]!;
    const source = plan.steps.find((s): s is GraphStepPlan => s.kind === "graph" && s.index === part.graph)!;
    return n + source.exports.length;
  }, 0);
  return 2 * input.pick.length >= width ? { columns: input.pick, width } : undefined;
}

function graphStep(
  step: GraphStepPlan,
  kernels: readonly PlannedKernel[],
  options: PlanOptions,
  input: InputPlan,
  sparseKernel: SparseKernelName,
  folded?: { columns: readonly number[]; width: number },
): Omit<GraphStep, "neuronMajor"> {
  const layerOffsets = new Map<number, number>();
  let neurons = 0;
  for (const k of step.members) {
    layerOffsets.set(kernels[k]!.target, neurons);
    neurons += kernels[k]!.size;
  }
  const inputs = folded?.width ?? step.needs.length;
  const externalColumn = new Map(step.needs.map(([layer, neuron], column) => [`${layer}:${neuron}`, folded?.columns[column] ?? column]));
  const members = step.members.map((k) => {
    const kernel = kernels[k]!;
    const neuronOf = rowNeuron(kernel);
    const { rows, targets } = kernel.edges!;
    const sources = new Int32Array(rows.length);
    rows.forEach((row, e) => {
      const [layer, neuron] = neuronOf(row);
      const inside = layerOffsets.get(layer);
      const column = inside === undefined ? externalColumn.get(`${layer}:${neuron}`) : inputs + inside + neuron;
      if (column === undefined)
        throw new Error(
          `invalid network spec: plan: the graph kernel of kernels ${step.members[0]} … does not read layer ${layer}'s neuron ${neuron}, which it has a connection from`,
        );
      sources[e] = column;
    });
    const offset = layerOffsets.get(kernel.target)!;
    return { neurons: kernel.size, sources, targets: targets.map((t) => offset + t) };
  });
  const last = kernels[step.members.at(-1)!]!;
  const activates = !options.layerNorm;
  const activated = activates ? neurons - (last.hidden ? 0 : last.size) : 0;
  const structureInput = { inputs, activated, members };
  // Exports ascend through the members' neurons, so one walk finds each one's layer.
  const columns = new Map<number, Int32Array>();
  let column = 0;
  for (const k of step.members) {
    const { target, size } = kernels[k]!;
    const [start, layerColumns] = [layerOffsets.get(target)!, new Int32Array(size).fill(-1)];
    for (; column < step.exports.length && step.exports[column]! < start + size; column++) layerColumns[step.exports[column]! - start] = column;
    columns.set(target, layerColumns);
  }
  return {
    kind: "graph",
    index: step.index,
    members: step.members,
    structure: sparseKernel === "graph-kernel" ? graphStructure(structureInput) : layeredStructure(structureInput, sparseKernel === "wgsl" ? "wgsl" : "gather-ops"),
    input,
    readsHiddenLayers: step.needs.some(([layer]) => layer !== 0),
    activates,
    exports: tf.tensor1d([...step.exports], "int32"),
    columns,
    allExports: tf.tensor1d([...step.exports, ...Array.from({ length: neurons }, (_, i) => i)], "int32"),
    layerOffsets,
  };
}
