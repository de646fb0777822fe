/**
 * A graph while elaborate builds it: vertex ids ascending, edges as positions
 * into `ids`, and whether its edges have a direction yet. Undirected graphs
 * hold each edge once, in either order.
 */
export interface RawGraph {
  readonly ids: readonly number[];
  readonly sources: Uint32Array;
  readonly targets: Uint32Array;
  readonly directed: boolean;
  /** Neurons per vertex (by position), for scalable families; one each when absent. */
  readonly groupSizes?: Uint32Array;
}
