/**
 * The kernel plan: how a network's kernels run one after another, as plain
 * data. The compiler's `fuse` pass makes it for the choices the cost model
 * makes on a machine where graph kernels run, and `emit` writes it into the
 * module; the runtime makes it again only where its choices differ (another
 * execution asked for, or a backend without graph kernels).
 *
 * Consecutive sparse kernels become one graph kernel: a structure of many
 * depths then costs one op per forward pass instead of one per depth. Their
 * layers' activations never exist as separate tensors: the graph kernel
 * hands out only the neurons later kernels read (its exports), side by side
 * in one tensor. Every reader — a dense kernel or a later graph kernel — gets
 * an input: which tensors to lay side by side and which of their columns to
 * take, so it multiplies exactly the source neurons it has connections from.
 *
 * With layer normalisation a graph kernel spans one depth and computes its
 * pre-activations; normalisation and activation follow as ordinary ops.
 */

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
  /** Dense kernels that multiply only some fused rows: those rows, ascending. */
  readonly usedRows?: Int32Array;
}

/** Where a layer's activations are during a forward pass: their own tensor, or columns of a graph kernel's output. */
export type Holder = { readonly kind: "layer"; readonly layer: number } | { readonly kind: "graph"; readonly graph: number };

/** A reader's input: `parts` side by side, then the columns `pick` (all of them, in order, when undefined). */
export interface InputSteps {
  readonly parts: readonly Holder[];
  readonly pick: readonly number[] | undefined;
}

export interface DenseStepPlan {
  readonly kind: "dense";
  readonly kernel: number;
  readonly input: InputSteps;
}

export interface GraphStepPlan {
  readonly kind: "graph";
  readonly index: number;
  /** Indices of the member kernels, in order. */
  readonly members: readonly number[];
  readonly input: InputSteps;
  /** The external neurons it reads, as (layer, neuron), in the order of its input's columns. */
  readonly needs: readonly Neuron[];
  /** The kernel-wide indices of the neurons it hands out (members' neurons one layer after another). */
  readonly exports: readonly number[];
}

export type StepPlan = DenseStepPlan | GraphStepPlan;

export interface KernelPlanSteps {
  /** Per kernel, how it runs. */
  readonly kinds: readonly ("dense" | "sparse")[];
  readonly steps: readonly StepPlan[];
  /** Per layer, where its activations are. */
  readonly holders: readonly Holder[];
}

/** A source neuron a reader needs: layer and neuron index. */
export type Neuron = readonly [layer: number, neuron: number];

export interface PlanOptions {
  readonly layerSizes: readonly number[];
  readonly layerNorm: boolean;
}

/** The (layer, neuron) of each fused row of a kernel. */
export function rowNeuron(kernel: PlannedKernel): (row: number) => Neuron {
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

/** A group's source neurons in its row order (dense), or its external sources ascending (graph). */
function readerNeeds(kernels: readonly PlannedKernel[], group: readonly number[], isGraph: boolean): Neuron[] {
  if (!isGraph) {
    const kernel = kernels[group[0]!]!;
    const rows = kernel.usedRows ?? Int32Array.from({ length: kernel.blocks.reduce((n, b) => n + b.size, 0) }, (_, i) => i);
    return Array.from(rows, rowNeuron(kernel));
  }
  const inside = new Set(group.map((k) => kernels[k]!.target));
  const seen = new Set<string>();
  const needs: Neuron[] = [];
  for (const k of group) {
    const neuronOf = rowNeuron(kernels[k]!);
    for (const row of kernels[k]!.edges!.rows) {
      const [layer, neuron] = neuronOf(row);
      const key = `${layer}:${neuron}`;
      if (inside.has(layer) || seen.has(key)) continue;
      seen.add(key);
      needs.push([layer, neuron]);
    }
  }
  return needs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

export function planSteps(kernels: readonly PlannedKernel[], options: PlanOptions): KernelPlanSteps {
  const groups = groupKernels(kernels, options.layerNorm);
  const holders: Holder[] = options.layerSizes.map((_, layer) => ({ kind: "layer", layer }));
  const graphOfGroup = new Map<number, number>();
  groups.forEach((group, g) => {
    if (kernels[group[0]!]!.edges === undefined) return;
    const index = graphOfGroup.size;
    graphOfGroup.set(g, index);
    // With layer normalisation the layer is finished outside the kernel and gets its own tensor.
    if (!options.layerNorm) for (const k of group) holders[kernels[k]!.target] = { kind: "graph", graph: index };
  });
  const needs = groups.map((group, g) => readerNeeds(kernels, group, graphOfGroup.has(g)));
  const handedOut = handedOutNeurons(needs, holders, options);
  const exportsOf = new Map<number, { readonly exports: number[]; readonly columns: Map<number, Int32Array> }>();
  const steps = groups.map((group, g): StepPlan => {
    const input = inputSteps(needs[g]!, holders, options, exportsOf);
    const graph = graphOfGroup.get(g);
    if (graph === undefined) return { kind: "dense", kernel: group[0]!, input };
    const exported = graphExports(kernels, group, handedOut, options.layerNorm);
    exportsOf.set(graph, exported);
    return { kind: "graph", index: graph, members: group, input, needs: needs[g]!, exports: exported.exports };
  });
  return { kinds: kernels.map((k) => (k.edges === undefined ? "dense" : "sparse")), steps, holders };
}

/** Per layer inside a graph kernel, the neurons some reader needs; the output layer whole. */
function handedOutNeurons(needs: readonly (readonly Neuron[])[], holders: readonly Holder[], options: PlanOptions): Map<number, Set<number>> {
  const handedOut = new Map<number, Set<number>>();
  const mark = (layer: number, neuron: number): void => {
    if (holders[layer]!.kind !== "graph") return;
    let set = handedOut.get(layer);
    if (set === undefined) handedOut.set(layer, (set = new Set()));
    set.add(neuron);
  };
  for (const list of needs) for (const [layer, neuron] of list) mark(layer, neuron);
  const output = options.layerSizes.length - 1;
  for (let i = 0; i < options.layerSizes[output]!; i++) mark(output, i);
  return handedOut;
}

/** The neurons a graph kernel hands out (kernel-wide indices), and per member layer each neuron's column (−1: not handed out). */
function graphExports(
  kernels: readonly PlannedKernel[],
  group: readonly number[],
  handedOut: ReadonlyMap<number, ReadonlySet<number>>,
  layerNorm: boolean,
): { exports: number[]; columns: Map<number, Int32Array> } {
  const exports: number[] = [];
  const columns = new Map<number, Int32Array>();
  let offset = 0;
  for (const k of group) {
    const { target, size } = kernels[k]!;
    const column = new Int32Array(size).fill(-1);
    // With layer normalisation the kernel's whole layer goes out, to be normalised.
    const wanted = handedOut.get(target);
    for (let i = 0; i < size; i++) {
      if (!layerNorm && wanted?.has(i) !== true) continue;
      column[i] = exports.length;
      exports.push(offset + i);
    }
    columns.set(target, column);
    offset += size;
  }
  return { exports, columns };
}

/** A reader's input, given the columns graph kernels hand out (steps run in order, so those are known). */
function inputSteps(
  needs: readonly Neuron[],
  holders: readonly Holder[],
  options: PlanOptions,
  exportsOf: ReadonlyMap<number, { readonly exports: readonly number[]; readonly columns: ReadonlyMap<number, Int32Array> }>,
): InputSteps {
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
      width += holder.kind === "layer" ? options.layerSizes[holder.layer]! : exportsOf.get(holder.graph)!.exports.length;
    }
    return offset + (holder.kind === "layer" ? neuron : exportsOf.get(holder.graph)!.columns.get(layer)![neuron]!);
  });
  const whole = columns.length === width && columns.every((c, i) => c === i);
  return { parts, pick: whole ? undefined : columns };
}
