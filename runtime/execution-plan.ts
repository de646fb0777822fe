/**
 * How a network's kernels run, decided once when it is built.
 *
 * Consecutive sparse kernels become one graph kernel (kernels/graph): a
 * structure of many depths then costs one op per forward pass instead of one
 * per depth. Their layers' activations never exist as separate tensors: the
 * graph kernel hands out only the neurons later kernels read (its exports),
 * side by side in one tensor. Every reader — a dense kernel or a later graph
 * kernel — gets an {@link InputPlan}: which tensors to lay side by side and
 * which of their columns to take, so it multiplies exactly the source
 * neurons it has connections from.
 *
 * With layer normalisation a graph kernel spans one depth and computes its
 * pre-activations; normalisation and activation follow as ordinary ops.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D } from "@tensorflow/tfjs-core";
import { columnPick } from "./kernels/gather-columns.js";
import { disposeGraphStructure, graphStructure, type GraphStructure } from "./kernels/graph/graph-kernel.js";

/** What the plan needs to know of a kernel. */
export interface PlannedKernel {
  /** Index of the layer the kernel computes. */
  readonly target: number;
  readonly size: number;
  readonly hidden: boolean;
  /** The kernel's fused rows: each block's source layer and size, in order. */
  readonly blocks: readonly { readonly source: number; readonly size: number }[];
  /** Sparse kernels: each connection's fused row and target neuron. */
  readonly edges?: { readonly rows: Int32Array; readonly targets: Int32Array };
  /** Dense kernels that multiply only some fused rows (packing): those rows, ascending. */
  readonly usedRows?: Int32Array;
}

/** Where a layer's activations are during a forward pass: their own tensor, or columns of a graph kernel's output. */
export type Holder = { readonly kind: "layer"; readonly layer: number } | { readonly kind: "graph"; readonly graph: number };

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
  readonly structure: GraphStructure;
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

/** A source neuron a reader needs: layer and neuron index. */
type Neuron = readonly [layer: number, neuron: number];

/** The (layer, neuron) of each fused row of a kernel. */
function rowNeuron(kernel: PlannedKernel): (row: number) => Neuron {
  const starts: number[] = [];
  let offset = 0;
  for (const block of kernel.blocks) {
    starts.push(offset);
    offset += block.size;
  }
  return (row) => {
    // The last block starting at or before the row.
    let [low, high] = [0, starts.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= row) low = middle;
      else high = middle - 1;
    }
    return [kernel.blocks[low]!.source, row - starts[low]!];
  };
}

/** Groups kernels into steps: runs of consecutive sparse kernels become graph steps. */
function groupKernels(kernels: readonly PlannedKernel[], layerNorm: boolean): number[][] {
  const groups: number[][] = [];
  kernels.forEach((kernel, k) => {
    const previous = groups.at(-1);
    const joins = kernel.edges !== undefined && !layerNorm && previous !== undefined && kernels[previous[0]!]!.edges !== undefined;
    if (joins) previous.push(k);
    else groups.push([k]);
  });
  return groups;
}

export function planExecution(kernels: readonly PlannedKernel[], options: { readonly layerSizes: readonly number[]; readonly layerNorm: boolean }): ExecutionPlan {
  const groups = groupKernels(kernels, options.layerNorm);
  const outputLayer = options.layerSizes.length - 1;
  const holders: Holder[] = options.layerSizes.map((_, layer) => ({ kind: "layer", layer }));
  const graphOfGroup = new Map<number, number>();
  let graphs = 0;
  groups.forEach((group, g) => {
    if (kernels[group[0]!]!.edges === undefined) return;
    const index = graphs++;
    graphOfGroup.set(g, index);
    // With layer normalisation the layer is finished outside the kernel and gets its own tensor.
    if (!options.layerNorm) for (const k of group) holders[kernels[k]!.target] = { kind: "graph", graph: index };
  });

  // Each reader's source neurons, in its row order.
  const readerNeeds: Neuron[][] = groups.map((group, g) => {
    if (!graphOfGroup.has(g)) {
      const kernel = kernels[group[0]!]!;
      const neuronOf = rowNeuron(kernel);
      const rows = kernel.usedRows ?? Int32Array.from({ length: kernel.blocks.reduce((n, b) => n + b.size, 0) }, (_, i) => i);
      return Array.from(rows, neuronOf);
    }
    const inside = new Set(group.map((k) => kernels[k]!.target));
    const seen = new Set<string>();
    const needs: Neuron[] = [];
    for (const k of group) {
      const kernel = kernels[k]!;
      const neuronOf = rowNeuron(kernel);
      for (const row of kernel.edges!.rows) {
        const [layer, neuron] = neuronOf(row);
        const key = `${layer}:${neuron}`;
        if (inside.has(layer) || seen.has(key)) continue;
        seen.add(key);
        needs.push([layer, neuron]);
      }
    }
    return needs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  });

  // What each graph kernel hands out: what any reader needs, and the whole output layer.
  const handedOut = new Map<number, Set<number>>();
  const mark = (layer: number, neuron: number): void => {
    if (holders[layer]!.kind !== "graph") return;
    let set = handedOut.get(layer);
    if (set === undefined) handedOut.set(layer, (set = new Set()));
    set.add(neuron);
  };
  for (const needs of readerNeeds) for (const [layer, neuron] of needs) mark(layer, neuron);
  for (let i = 0; i < options.layerSizes[outputLayer]!; i++) mark(outputLayer, i);

  const created: (GraphStructure | Tensor1D)[] = [];
  const graphSteps = new Map<number, GraphStep>();
  const steps = groups.map((group, g): DenseStep | GraphStep => {
    const input = inputPlan(readerNeeds[g]!);
    if (input.pick) created.push(input.pick);
    const graph = graphOfGroup.get(g);
    if (graph === undefined) return { kind: "dense", kernel: group[0]!, input };
    const step = graphStep(group, graph, input, readerNeeds[g]!);
    graphSteps.set(graph, step);
    created.push(step.structure, step.exports, step.allExports);
    return step;
  });

  /** A reader's input plan, given the columns graph kernels hand out (steps run in order, so those are known). */
  function inputPlan(needs: readonly Neuron[]): InputPlan {
    const parts: Holder[] = [];
    const partOffset = new Map<string, number>();
    let width = 0;
    const columns = needs.map(([layer, neuron]) => {
      const holder = holders[layer]!;
      const key = holder.kind === "layer" ? `l${holder.layer}` : `g${holder.graph}`;
      let offset = partOffset.get(key);
      if (offset === undefined) {
        offset = width;
        partOffset.set(key, offset);
        parts.push(holder);
        width += holder.kind === "layer" ? options.layerSizes[holder.layer]! : graphSteps.get(holder.graph)!.exports.size;
      }
      const column = holder.kind === "layer" ? neuron : graphSteps.get(holder.graph)!.columns.get(layer)![neuron]!;
      return offset + column;
    });
    const whole = columns.length === width && columns.every((c, i) => c === i);
    return { parts, pick: whole ? undefined : columnPick(columns) };
  }

  function graphStep(group: readonly number[], index: number, input: InputPlan, needs: readonly Neuron[]): GraphStep {
    const layerOffsets = new Map<number, number>();
    let neurons = 0;
    for (const k of group) {
      layerOffsets.set(kernels[k]!.target, neurons);
      neurons += kernels[k]!.size;
    }
    const externalColumn = new Map(needs.map(([layer, neuron], column) => [`${layer}:${neuron}`, column]));
    const members = group.map((k) => {
      const kernel = kernels[k]!;
      const neuronOf = rowNeuron(kernel);
      const { rows, targets } = kernel.edges!;
      const sources = new Int32Array(rows.length);
      rows.forEach((row, e) => {
        const [layer, neuron] = neuronOf(row);
        const inside = layerOffsets.get(layer);
        sources[e] = inside === undefined ? externalColumn.get(`${layer}:${neuron}`)! : needs.length + inside + neuron;
      });
      const offset = layerOffsets.get(kernel.target)!;
      return { neurons: kernel.size, sources, targets: targets.map((t) => offset + t) };
    });
    const last = kernels[group.at(-1)!]!;
    const activates = !options.layerNorm;
    const activated = activates ? neurons - (last.hidden ? 0 : last.size) : 0;
    const structure = graphStructure({ inputs: needs.length, activated, members });

    const exportList: number[] = [];
    const columns = new Map<number, Int32Array>();
    for (const k of group) {
      const layer = kernels[k]!.target;
      const offset = layerOffsets.get(layer)!;
      const column = new Int32Array(kernels[k]!.size).fill(-1);
      // With layer normalisation the kernel's whole layer goes out, to be normalised.
      const wanted = handedOut.get(layer);
      for (let i = 0; i < column.length; i++) {
        if (!options.layerNorm && wanted?.has(i) !== true) continue;
        column[i] = exportList.length;
        exportList.push(offset + i);
      }
      columns.set(layer, column);
    }
    return {
      kind: "graph",
      index,
      members: group,
      structure,
      input,
      readsHiddenLayers: needs.some(([layer]) => layer !== 0),
      activates,
      exports: tf.tensor1d(exportList, "int32"),
      columns,
      allExports: tf.tensor1d([...exportList, ...Array.from({ length: neurons }, (_, i) => i)], "int32"),
      layerOffsets,
    };
  }

  return {
    steps,
    holders,
    dispose: () => {
      for (const item of created) {
        if ("members" in item) disposeGraphStructure(item);
        else item.dispose();
      }
    },
  };
}
