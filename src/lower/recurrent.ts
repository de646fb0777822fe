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
import { decodeMask, encodeMask, FULL_MASK, liveIndices } from "../../runtime/masks/codec.js";
import { GATES, recurrentLayerShapes, recurrentNames } from "../../runtime/recurrent/shapes.js";
import type { MaskPolicy } from "../check/program.js";
import type { MaskFile } from "../elaborate/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { applyWeightMasks, type NamedWeightMask } from "./weight-masks.js";
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

/**
 * A network's `mask dense/random/file` lines over the stack's weights
 * (`lstm1.input`, `lstm1.hidden`; weight-masks.ts), over what the stack
 * already has (a graph-made hidden weight's graph): `layers=[lstm1]` takes
 * both of a layer's weights, no `layers` every layer's. A random mask draws
 * from its own stream, weights in order (each layer's input, then hidden).
 */
export function applyRecurrentMasks(
  spec: RecurrentSpec,
  inputFeatures: number,
  policies: readonly MaskPolicy[],
  maskFiles: ReadonlyMap<string, MaskFile>,
  bag: DiagnosticBag,
): RecurrentSpec {
  if (policies.every((p) => p.kind === "learnable")) return spec;
  const names = recurrentNames(spec);
  const weights = new Map<string, NamedWeightMask>();
  recurrentLayerShapes(spec, inputFeatures).forEach(({ inputs, hidden, gates }, i) => {
    const layer = names[i]!;
    weights.set(`${layer}.input`, { layer, live: decodeMask(spec.masks?.[i]?.input ?? FULL_MASK, inputs * gates * hidden) });
    weights.set(`${layer}.hidden`, { layer, live: decodeMask(spec.masks?.[i]?.hidden ?? FULL_MASK, hidden * gates * hidden) });
  });
  applyWeightMasks(policies, weights, maskFiles, bag);
  const encoded = (name: string): string | undefined => {
    const { live } = weights.get(name)!;
    const text = encodeMask(live.length, liveIndices(live));
    return text === FULL_MASK ? undefined : text;
  };
  const masks: Masks = names.map((layer) => {
    const [input, hidden] = [encoded(`${layer}.input`), encoded(`${layer}.hidden`)];
    return { ...(input === undefined ? {} : { input }), ...(hidden === undefined ? {} : { hidden }) };
  });
  // The spec's `masks` is absent when every weight is full.
  const { masks: before, ...rest } = spec;
  return masks.some((m) => m.input !== undefined || m.hidden !== undefined) || before !== undefined ? { ...rest, masks } : rest;
}
