/**
 * A cell network's parameters and state: one feature-layer stack per cell
 * and one for the head, each stored as the feature layers are (conv weights
 * HWIO with their masks and biases, batch norms' gains, shifts and running
 * statistics), so parameters, masks, files and summaries treat cell layers
 * as they treat any other feature layer, by their names (`cell3.conv1`).
 */
import type { ActivationName } from "../spec.js";
import { createFeatureStores, disposeFeatureStores, type FeatureStore } from "../features/store.js";
import type { ChannelsFirst } from "../features/shapes.js";
import { cellShapes } from "./shapes.js";
import { sinkVertices, type CellNetworkSpec } from "./spec.js";

export interface CellStores {
  readonly spec: CellNetworkSpec;
  /** Each cell's layers, by vertex number. */
  readonly cells: ReadonlyMap<number, readonly FeatureStore[]>;
  readonly head: readonly FeatureStore[];
  readonly sinks: readonly number[];
  /** Every store, cells in the spec's order and then the head: what the Model lists as its feature layers. */
  readonly all: readonly FeatureStore[];
}

/**
 * Stores for every cell and the head over `input` (the network's input or
 * the stem's output). `firstIndex` is the number of feature layers before
 * the cells, so initial weights never repeat a stream.
 */
export function createCellStores(spec: CellNetworkSpec, input: ChannelsFirst, activation: ActivationName, seed: number, firstIndex: number): CellStores {
  const shapes = cellShapes(input, spec);
  if (!("head" in shapes)) {
    const where = shapes.vertex === "head" ? "the head" : `cell ${shapes.vertex}`;
    throw new Error(`${where}, layer ${shapes.layer}: ${shapes.problem.message}`);
  }
  const cells = new Map<number, readonly FeatureStore[]>();
  const all: FeatureStore[] = [];
  let index = firstIndex;
  try {
    for (const cell of spec.vertices) {
      const stores = createFeatureStores(cell.layers, shapes.vertices.get(cell.vertex)![0]!, activation, seed, index);
      index += cell.layers.length;
      cells.set(cell.vertex, stores);
      all.push(...stores);
    }
    const head = createFeatureStores(spec.head, shapes.head[0]!, activation, seed, index);
    all.push(...head);
    return { spec, cells, head, sinks: sinkVertices(spec), all };
  } catch (error) {
    disposeFeatureStores(all);
    throw error;
  }
}

export function disposeCellStores(stores: CellStores | undefined): void {
  if (stores !== undefined) disposeFeatureStores(stores.all);
}
