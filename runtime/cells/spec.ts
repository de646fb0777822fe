/**
 * A cell network (deepstruct's DeepCellDAN) as plain data: every vertex of
 * a graph is a small stack of feature layers (its cell), run in topological
 * order. A vertex reads its predecessors' maps concatenated along channels,
 * in the order `inputs` lists them; a source (no inputs) reads the network's
 * input, or the output of the feature layers in front when there are some.
 * The sinks' maps, concatenated in vertex order, feed the head: a 1×1 conv,
 * a batch norm and a global average pool, whose [channels] output is layer 0
 * of the dense part (the output layer, and any dense layers before it).
 *
 * Maps of different heights or widths are zero-padded at the bottom and the
 * right to the largest height and width among those concatenated.
 */
import type { FeatureLayerSpec } from "../spec.js";

export interface CellVertexSpec {
  /** The graph vertex this cell stands for (the graph's own numbering). */
  readonly vertex: number;
  /** Its predecessors' vertex numbers, ascending; empty for a source. */
  readonly inputs: readonly number[];
  /** Its layers, named `cell${vertex}.${layer}` (`cell3.conv1`, `cell3.bn1`). */
  readonly layers: readonly FeatureLayerSpec[];
}

export interface CellNetworkSpec {
  /** The graph the cells were made from, for messages and extraction. */
  readonly graph: string;
  /** In topological order: every vertex after all of its inputs. */
  readonly vertices: readonly CellVertexSpec[];
  /** Over the concatenated sinks: conv `head.conv` (1×1), `head.bn`, `head.gap`. */
  readonly head: readonly FeatureLayerSpec[];
}

/** The vertices no other vertex reads, in the spec's order: their maps feed the head. */
export function sinkVertices(cells: CellNetworkSpec): number[] {
  const read = new Set(cells.vertices.flatMap((v) => v.inputs));
  return cells.vertices.filter((v) => !read.has(v.vertex)).map((v) => v.vertex);
}
