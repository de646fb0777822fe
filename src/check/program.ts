import type { Span } from "../diagnostics/span.js";

/**
 * What `check` hands on: the declarations with every name resolved and every
 * argument of the right kind and range, so later passes never re-validate.
 */
export interface CheckedProgram {
  readonly graphs: readonly CheckedGraph[];
  readonly networks: readonly CheckedNetwork[];
}

export interface CheckedGraph {
  readonly name: string;
  readonly span: Span;
  readonly source: GraphSource;
}

export type GraphSource = GeneratorSource | EdgeListSource;

/** Arguments of each generator, named as networkx names them. */
export interface GeneratorArguments {
  readonly balanced_tree: { readonly r: number; readonly h: number };
  readonly grid_2d: { readonly rows: number; readonly cols: number; readonly periodic: boolean };
  readonly watts_strogatz: { readonly n: number; readonly k: number; readonly p: number; readonly seed: number };
  readonly erdos_renyi: { readonly n: number; readonly p: number; readonly seed: number };
}

export type GeneratorName = keyof GeneratorArguments;

export type GeneratorSource = {
  [G in GeneratorName]: { readonly kind: "generator"; readonly generator: G; readonly args: GeneratorArguments[G] };
}[GeneratorName];

export interface EdgeListSource {
  readonly kind: "edges";
  readonly directed: boolean;
  readonly edges: readonly CheckedEdge[];
}

export interface CheckedEdge {
  readonly source: number;
  readonly target: number;
  readonly span: Span;
}

export type { ActivationName } from "../../runtime/spec.js";
import type { ActivationName } from "../../runtime/spec.js";

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
