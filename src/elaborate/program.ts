import type { DirectedGraph } from "graphology";
import type { CheckedNetwork } from "../check/program.js";
import type { RawGraph } from "./raw-graph.js";

/**
 * A DAG with its layering. Vertex keys are the decimal strings of integer ids
 * (graphology keys are strings); `layers[d]` lists the ids at depth d in
 * ascending order, where a vertex's depth is one more than the deepest of its
 * predecessors and sources sit at depth 0.
 */
export interface LayeredGraph {
  readonly name: string;
  readonly graph: DirectedGraph;
  readonly layers: readonly (readonly number[])[];
  readonly depthOf: ReadonlyMap<number, number>;
  /** Neurons per vertex in a scalable family (`scalable(...)`); one per vertex when absent. */
  readonly groupSizes?: ReadonlyMap<number, number>;
}

/** What `elaborate` hands on: every graph built and layered, networks unchanged. */
export interface ElaboratedProgram {
  readonly graphs: ReadonlyMap<string, LayeredGraph>;
  readonly networks: readonly CheckedNetwork[];
  /** The contents of every `mask file(...)`, by the path as written: masks per block name, or why they cannot be read. */
  readonly maskFiles: ReadonlyMap<string, MaskFile>;
  /** Graphs named as recurrent layers' widths, unlayered: vertex ids ascending, edges as declared (undirected ones once, self-loops kept). */
  readonly recurrentGraphs: ReadonlyMap<string, RawGraph>;
}

export type MaskFile = { readonly masks: Readonly<Record<string, readonly number[]>> } | { readonly problem: string; readonly unreadable: boolean };
