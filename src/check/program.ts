import type { Span } from "../diagnostics/span.js";
import type { CheckedFeature } from "./features.js";
import type { CheckedRecurrent } from "./recurrent.js";
import type { CheckedCells } from "./cells.js";
import type { Expression } from "../data/expression/expression.js";
import type { BlobsOptions, Interval, MoonsOptions, Sampler, SpiralsOptions } from "../../runtime/datasets/index.js";

/**
 * What `check` hands on: the declarations with every name resolved and every
 * argument of the right kind and range, so later passes never re-validate.
 */
export interface CheckedProgram {
  readonly graphs: readonly CheckedGraph[];
  readonly networks: readonly CheckedNetwork[];
  /** `data` declarations: what `dsc train --data NAME` reads. */
  readonly datasets: readonly CheckedDataset[];
}

export interface CheckedDataset {
  readonly name: string;
  readonly span: Span;
  readonly source: DataSource;
}

/** A `data` declaration's source, checked: a function sampled over a box, or a built-in toy set. */
export type DataSource =
  | FunctionDataSource
  | { readonly kind: "moons"; readonly options: MoonsOptions }
  | { readonly kind: "spirals"; readonly options: SpiralsOptions }
  | { readonly kind: "blobs"; readonly options: BlobsOptions };

/** `function("x^2 + y", inputs=[x, y], domain=[-1, 1], samples=500, sampler=uniform, seed=0)` */
export interface FunctionDataSource {
  readonly kind: "function";
  /** The expression as written, for messages. */
  readonly text: string;
  readonly expression: Expression;
  readonly inputs: readonly string[];
  /** One interval per input. */
  readonly domain: readonly Interval[];
  readonly samples: number | readonly number[];
  readonly sampler: Sampler;
  readonly seed: number;
}

export interface CheckedGraph {
  readonly name: string;
  readonly span: Span;
  readonly source: GraphSource;
}

/**
 * Where a graph comes from: a generator, an edge list, a file, or an
 * operation on other graphs (which are inlined, so elaborate never looks a
 * name up).
 */
export type GraphSource = GeneratorSource | EdgeListSource | FileSource | OrientSource | ScalableSource | AppendSource;

/** Arguments of each generator, named as networkx names them. */
export interface GeneratorArguments {
  readonly balanced_tree: { readonly r: number; readonly h: number };
  readonly grid_2d: { readonly rows: number; readonly cols: number; readonly periodic: boolean };
  readonly watts_strogatz: { readonly n: number; readonly k: number; readonly p: number; readonly seed: number };
  readonly newman_watts_strogatz: { readonly n: number; readonly k: number; readonly p: number; readonly seed: number };
  readonly erdos_renyi: { readonly n: number; readonly p: number; readonly seed: number; readonly directed: boolean; readonly fast: boolean };
  readonly barabasi_albert: { readonly n: number; readonly m: number; readonly seed: number };
  readonly complete: { readonly n: number };
  readonly path: { readonly n: number };
  readonly star: { readonly n: number };
  readonly ladder: { readonly n: number };
  readonly random_dag: { readonly n: number; readonly layers: number; readonly p: number; readonly seed: number };
}

export type GeneratorName = keyof GeneratorArguments;

export type GeneratorSource = {
  [G in GeneratorName]: { readonly kind: "generator"; readonly generator: G; readonly args: GeneratorArguments[G]; readonly span: Span };
}[GeneratorName];

export interface EdgeListSource {
  readonly kind: "edges";
  readonly directed: boolean;
  readonly edges: readonly CheckedEdge[];
  readonly span: Span;
}

export interface CheckedEdge {
  readonly source: number;
  readonly target: number;
  readonly span: Span;
}

/** `file("g.graphml")`: GraphML, GEXF or a JSON edge list; the path is as written, resolved against the .ds file. */
export interface FileSource {
  readonly kind: "file";
  readonly path: string;
  readonly span: Span;
}

export type OrientationRule = "index" | "bfs" | "random";

/** `orient(g, bfs, roots=[0])`: how an undirected graph becomes a DAG. */
export interface OrientSource {
  readonly kind: "orient";
  readonly graph: GraphSource;
  readonly rule: OrientationRule;
  readonly roots: readonly number[];
  readonly seed: number;
  readonly span: Span;
}

export type Proportions =
  { readonly kind: "uniform" } | { readonly kind: "explicit"; readonly values: readonly number[] } | { readonly kind: "dirichlet"; readonly alpha: number; readonly seed: number };

/** `scalable(g, scale=200)`: each vertex a group of round(proportion × scale) neurons (deepstruct's ScalableDAN). */
export interface ScalableSource {
  readonly kind: "scalable";
  readonly graph: GraphSource;
  readonly scale: number;
  readonly proportions: Proportions;
  readonly span: Span;
}

/** `append(bottom, top)`: top stacked on bottom, every sink of bottom feeding every source of top. */
export interface AppendSource {
  readonly kind: "append";
  readonly bottom: GraphSource;
  readonly top: GraphSource;
  readonly span: Span;
}

import type { ActivationName, Execution } from "../../runtime/spec.js";
import type { PruningSchedule } from "../../runtime/pruning/schedule.js";
import type { DynamicSparsity } from "../../runtime/growing/dynamic-sparse.js";

export interface CheckedNetwork {
  readonly name: string;
  readonly span: Span;
  /** The shape of one sample, e.g. [784] or [1, 28, 28]; inputs are flattened. */
  readonly inputShape: readonly number[];
  /** The hidden part, from input to output, in the order written. */
  readonly stages: readonly Stage[];
  readonly outputSize: number;
  readonly activation: ActivationName;
  readonly layerNorm: boolean;
  /** `mask …` lines, in the order written. */
  readonly masks: readonly MaskPolicy[];
  /** `prune …` lines, in the order written. */
  readonly pruning: readonly CheckedSchedule[];
  /** `execution auto|dense|sparse`: how the runtime runs the kernels (default auto). */
  readonly execution?: Execution;
  /** The `grow …` line: dynamic sparse training, its blocks still to be resolved. */
  readonly growth?: { readonly config: Omit<DynamicSparsity, "blocks">; readonly layers: LayerSelection };
  /** `features [...]`: convolutional layers over the input, their shapes checked, and the size of their flattened output. */
  readonly features?: { readonly layers: readonly CheckedFeature[]; readonly outputSize: number };
  /** `recurrent lstm(hidden=[…])`: the stack over an input [steps, features]; its sizes are known once its graphs are built (lower). */
  readonly recurrent?: CheckedRecurrent;
  /** `structure g` with `cells NAME`: g's vertices are cells (after the feature layers, if any); `stages` then holds only what follows the head. */
  readonly cells?: CheckedCells;
}

/** Layers named in a policy (`layers=[dense1, tree]`): dense layers, structures (all their depths) or `output`; empty means all. */
export interface LayerSelection {
  readonly names: readonly string[];
  readonly span: Span;
  /** Each name's own span, in the order of `names` (absent for a selection nobody wrote). */
  readonly spans?: readonly Span[];
}

export type MaskPolicy =
  | { readonly kind: "dense"; readonly layers: LayerSelection }
  | { readonly kind: "random"; readonly density: number; readonly seed: number; readonly layers: LayerSelection }
  | { readonly kind: "file"; readonly path: string; readonly span: Span; readonly layers: LayerSelection }
  | { readonly kind: "learnable"; readonly keep: number; readonly temperature: number; readonly penalty: number; readonly layers: LayerSelection };

/** A schedule of any kind, without its blocks (Omit applied to each member of the union). */
export type ScheduleWithoutBlocks = PruningSchedule extends infer S ? (S extends unknown ? Omit<S, "blocks"> : never) : never;

/** A pruning schedule as the runtime takes it, with its layers still to be resolved into blocks. */
export interface CheckedSchedule {
  readonly schedule: ScheduleWithoutBlocks;
  readonly layers: LayerSelection;
  /** Where its `unit=…` is written (the call's span when left out): lower reports a unit that fits no weight of the network there. */
  readonly unitSpan?: Span;
}

export type Stage = DenseStage | StructureStage;

export interface DenseStage {
  readonly kind: "dense";
  readonly size: number;
  readonly span: Span;
}

export interface StructureStage {
  readonly kind: "structure";
  readonly graph: string;
  readonly span: Span;
}
