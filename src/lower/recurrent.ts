/**
 * The recurrent stack as the runtime runs it: sizes resolved and, for a layer
 * made from a graph, its hidden-to-hidden mask. Hidden neuron i is the graph's
 * i-th vertex in ascending id order; an edge u → v makes u's state at step t
 * feed v at step t + 1 through every gate, so the live entries of the hidden
 * weight [hidden, gates · hidden] are (u, g · hidden + v) for each gate g. An
 * undirected edge connects both ways; a self-loop is one entry (u, g · hidden + u).
 */
import type { CheckedRecurrent } from "../check/recurrent.js";
import type { RawGraph } from "../elaborate/raw-graph.js";
import { encodeMask } from "../../runtime/masks/codec.js";
import { GATES } from "../../runtime/recurrent/shapes.js";
import type { RecurrentSpec } from "../../runtime/spec.js";

type Masks = NonNullable<RecurrentSpec["masks"]>;

export function lowerRecurrent(stack: CheckedRecurrent, graphs: ReadonlyMap<string, RawGraph>): RecurrentSpec {
  const gates = GATES[stack.kind];
  const layers = stack.hidden.map((width) => {
    if (typeof width === "number") return { size: width, masks: {} };
    const graph = graphs.get(width.graph);
    if (graph === undefined) throw new Error(`lower: recurrent graph '${width.graph}' was checked but not built`);
    return { size: graph.ids.length, masks: { hidden: encodeMask(gates * graph.ids.length ** 2, recurrentHiddenLive(graph, gates)) } };
  });
  const masks: Masks = layers.map((l) => l.masks);
  return {
    kind: stack.kind,
    activation: stack.activation,
    hidden: layers.map((l) => l.size),
    output: stack.output,
    ...(stack.padded === true ? { padded: true } : {}),
    ...(masks.some((m) => m.hidden !== undefined) ? { masks } : {}),
  };
}

/** Ascending live row-major indices of the hidden weight [n, gates · n] a graph allows. */
export function recurrentHiddenLive(graph: RawGraph, gates: number): Uint32Array {
  const n = graph.ids.length;
  const width = gates * n;
  const live = new Set<number>();
  const connect = (from: number, to: number): void => {
    for (let g = 0; g < gates; g++) live.add(from * width + g * n + to);
  };
  for (let e = 0; e < graph.sources.length; e++) {
    const [u, v] = [graph.sources[e]!, graph.targets[e]!];
    connect(u, v);
    if (!graph.directed) connect(v, u);
  }
  return Uint32Array.from(live).sort();
}
