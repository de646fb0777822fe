/**
 * The shapes of a cell network, channels first: what each cell reads (its
 * inputs' channels summed, the largest height and width among them, the
 * smaller maps zero-padded), what it makes, and what the head makes. The
 * compiler reports a misfit at the cell layer that causes it; the runtime
 * checks the same at its boundary.
 */
import { featureShapes, type ChannelsFirst, type ShapeProblem } from "../features/shapes.js";
import { sinkVertices, type CellNetworkSpec } from "./spec.js";

export interface CellShapes {
  /** Per vertex (by number): the map it reads and the shapes after each of its layers (last: what it makes). */
  readonly vertices: ReadonlyMap<number, readonly ChannelsFirst[]>;
  /** The concatenated sinks, then after each head layer. */
  readonly head: readonly ChannelsFirst[];
}

/** Where a cell network's shapes go wrong: a vertex's cell layer (or the head's), and why. */
export interface CellShapeProblem {
  readonly vertex: number | "head";
  readonly layer: number;
  readonly problem: ShapeProblem;
}

/** The map made by concatenating `maps` along channels, each padded to the largest height and width. */
export function concatenatedShape(maps: readonly ChannelsFirst[]): ChannelsFirst {
  return [maps.reduce((c, m) => c + m[0], 0), Math.max(...maps.map((m) => m[1])), Math.max(...maps.map((m) => m[2]))];
}

/** Every shape of the cell network over `input` (the network's input, or the stem's output). */
export function cellShapes(input: ChannelsFirst, cells: CellNetworkSpec): CellShapes | CellShapeProblem {
  const made = new Map<number, ChannelsFirst>();
  const vertices = new Map<number, readonly ChannelsFirst[]>();
  for (const cell of cells.vertices) {
    const reads = cell.inputs.length === 0 ? input : concatenatedShape(cell.inputs.map((u) => made.get(u)!));
    const result = featureShapes(reads, cell.layers);
    if (!("shapes" in result)) return { vertex: cell.vertex, layer: result.layer, problem: result.problem };
    vertices.set(cell.vertex, result.shapes);
    made.set(cell.vertex, result.shapes.at(-1)!);
  }
  const head = featureShapes(concatenatedShape(sinkVertices(cells).map((v) => made.get(v)!)), cells.head);
  if (!("shapes" in head)) return { vertex: "head", layer: head.layer, problem: head.problem };
  return { vertices, head: head.shapes };
}
