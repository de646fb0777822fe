/**
 * The data `dsc diff` computes, and the shape `dsc diff --json` prints. Stable:
 * fields are only ever added, and `version` changes if one changes meaning.
 * Every list that can be long is a `Listed` — its full count and its first
 * `limit` items in a fixed order — so a diff of large graphs stays small.
 */

/** A count and the first items (at most the diff's limit), in ascending order. */
export interface Listed<T> {
  readonly count: number;
  readonly items: readonly T[];
}

/** A number (or list) on each side. */
export interface BeforeAfter<T> {
  readonly before: T;
  readonly after: T;
}

/** The diff of two `.ds` files. */
export interface ProgramDiff {
  readonly format: "dsc-diff";
  readonly version: 1;
  readonly kind: "programs";
  readonly graphs: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly GraphDiff[] };
  readonly networks: { readonly added: readonly NetworkSummary[]; readonly removed: readonly NetworkSummary[]; readonly changed: readonly NetworkDiff[] };
}

/** A directed edge of a layered graph: [source vertex, target vertex]. */
export type Edge = readonly [number, number];

/** A graph declared in both files whose declaration or built graph differs. */
export interface GraphDiff {
  readonly name: string;
  /** Changes of the checked declaration, outermost operation first. */
  readonly arguments: readonly ArgumentChange[];
  readonly vertices: BeforeAfter<number> & { readonly added: Listed<number>; readonly removed: Listed<number> };
  /** Edges as built and oriented (the DAG the network is made of), ordered by source then target. */
  readonly edges: BeforeAfter<number> & { readonly added: Listed<Edge>; readonly removed: Listed<Edge> };
  /** Vertices per layer (depth); absent when equal. */
  readonly layerSizes?: BeforeAfter<readonly number[]>;
  /** Neurons per layer, for scalable families; absent when equal to the vertices or unchanged. */
  readonly neurons?: BeforeAfter<readonly number[]>;
}

/**
 * One argument that differs, e.g. `{ at: ["scalable", "orient", "watts_strogatz"], argument: "seed", before: "42", after: "43" }`.
 * `argument` is "" when the whole source at `at` was replaced (another generator or operation).
 */
export interface ArgumentChange {
  readonly at: readonly string[];
  readonly argument: string;
  readonly before: string;
  readonly after: string;
}

/** A network present in one file only. */
export interface NetworkSummary {
  readonly name: string;
  readonly layers: number;
  readonly blocks: number;
  readonly liveConnections: number;
}

/** A network in both files that differs in layers, settings or connections. */
export interface NetworkDiff {
  readonly name: string;
  /** Layers added (before null), removed (after null) or resized, by name; neuron counts. */
  readonly layers: readonly { readonly name: string; readonly before: number | null; readonly after: number | null }[];
  /** Settings whose checked value differs, e.g. `{ setting: "activation", before: "relu", after: "tanh" }`; list settings are numbered (`mask 2`). */
  readonly settings: readonly { readonly setting: string; readonly before: string | null; readonly after: string | null }[];
  /** Blocks added, removed or with another number of live connections, by name. */
  readonly blocks: Listed<BlockChange>;
  readonly totals: {
    readonly blocks: BeforeAfter<number>;
    readonly liveConnections: BeforeAfter<number>;
    /** Σ source size × target size over the blocks. */
    readonly connections: BeforeAfter<number>;
  };
}

export interface BlockConnections {
  readonly live: number;
  readonly total: number;
}

export interface BlockChange {
  readonly name: string;
  readonly before: BlockConnections | null;
  readonly after: BlockConnections | null;
}

/** The diff of two run folders (`dsc train` outputs). */
export interface RunDiff {
  readonly format: "dsc-diff";
  readonly version: 1;
  readonly kind: "runs";
  readonly networks: BeforeAfter<string>;
  /** The networks' specs compared as two programs' networks are; absent when they are equal. */
  readonly spec?: NetworkDiff;
  /** Every block in both runs with the same shape, in A's order. */
  readonly blocks: readonly RunBlockDiff[];
  /** Blocks in both runs whose shapes differ: their connections cannot be paired. */
  readonly resized: readonly { readonly name: string; readonly before: readonly [number, number]; readonly after: readonly [number, number] }[];
  readonly totals: RunCounts & WeightMovement;
}

export interface RunCounts {
  /** Live in A, not in B. */
  readonly pruned: number;
  /** Live in B, not in A. */
  readonly grown: number;
  /** Live in both. */
  readonly unchanged: number;
}

/** How far the weights of the connections live in both runs moved. */
export interface WeightMovement {
  /** ‖w_B − w_A‖₂ over the connections live in both. */
  readonly moved: number;
  /** ‖w_A‖₂ over the same connections. */
  readonly norm: number;
  /** moved / norm; null when norm is 0. */
  readonly relative: number | null;
}

export interface RunBlockDiff extends RunCounts, WeightMovement {
  readonly name: string;
}
