/**
 * Extraction of a recurrent stack. A recurrent layer's weights are shared by
 * every step, so its graph is the recurrence itself, not the unrolled steps:
 *
 * - order 0 and 1: every input feature a vertex `input:F`, every hidden
 *   neuron `LAYER:I` (I its position: the graph's I-th vertex in ascending id
 *   order for a layer made from a graph, so a generated graph's vertex ids).
 *   An edge u → v wherever any gate's weight from u to v is live: input
 *   features (or the previous layer's neurons) to the layer's neurons, and
 *   the layer's neurons to themselves — the hidden-to-hidden connections,
 *   self-loops included. An edge carries `connections` (live gate weights,
 *   1 to gates) and `norm` (their L2 norm); an rnn's (one gate) also `weight`.
 * - order 2: the layers `input`, `LAYER`, with an edge per masked weight
 *   (`LAYER → LAYER` for the hidden one), carrying the same count and norm.
 *
 * Layer 0 of the dense part is the last layer's state at the last step: its
 * neurons are that layer's (`output=last`); with `output=all` layer 0 keeps
 * its own vertices `recurrent:K` (K = step · hidden + I), fed by neuron I with weight 1.
 *
 * `extractConnections` lists the same order-0 connections as typed arrays:
 * layers `input` (the features), then each recurrent layer, then (with
 * `output=all`) layer 0; a pair joined by several gates' weights is one
 * entry, its weight their L2 norm (an rnn's, one gate, its signed weight).
 */
import type { ConnectionSink, ExtractedGraph, ExtractionOrder } from "../extract-types.js";
import type { Model, RecurrentInfo } from "../model.js";

interface Options {
  readonly order: ExtractionOrder;
  readonly threshold: number;
  readonly includeInputs: boolean;
}

function addNeurons(graph: ExtractedGraph, layer: string, size: number, kind: "input" | "hidden", order: ExtractionOrder): string[] {
  return Array.from({ length: size }, (_, index) => {
    const key = order === 2 ? layer : `${layer}:${index}`;
    if (graph.hasNode(key)) graph.updateNodeAttribute(key, "size", (n) => (n ?? 0) + 1);
    else graph.addNode(key, { layer, index: order === 2 ? 0 : index, kind, size: 1 });
    return key;
  });
}

function values(model: Model, name: string): Float32Array {
  return model.parameters.find((p) => p.name === name)!.variable.dataSync() as Float32Array;
}

interface Accumulated {
  readonly source: string;
  readonly target: string;
  connections: number;
  norm: number;
  weight?: number;
}

/** Edges summed over gates (and, at order 2, over neurons) before they go into the graph. */
type Edges = Map<string, Accumulated>;

function accumulate(edges: Edges, source: string, target: string, w: number, single: boolean): void {
  const key = `${source}\u0000${target}`;
  const found = edges.get(key);
  if (found === undefined) edges.set(key, { source, target, connections: 1, norm: w * w, ...(single ? { weight: w } : {}) });
  else {
    found.connections++;
    found.norm += w * w;
  }
}

/** One edge per (row, neuron) with a live gate weight above the threshold, or per block at order 2. */
function addWeightEdges(edges: Edges, model: Model, layer: RecurrentInfo, which: "input" | "hidden", from: string[], to: string[], threshold: number): void {
  const mask = model.getMask(`${layer.name}.${which}`);
  const weights = values(model, `${layer.name}.${which}Weight`);
  const [hidden, width] = [layer.hidden, layer.gates * layer.hidden];
  for (let i = 0; i < mask.length; i++) {
    const w = weights[i]!;
    if (mask[i] === 0 || Math.abs(w) <= threshold) continue;
    const row = Math.floor(i / width);
    accumulate(edges, from[row]!, to[(i - row * width) % hidden]!, w, layer.gates === 1);
  }
}

/** Adds the stack's vertices and edges; returns the keys of layer 0 (the dense part's input). Norms are squared sums until the caller takes their root. */
export function addRecurrentGraph(model: Model, graph: ExtractedGraph, options: Options): string[] {
  const { order, threshold } = options;
  const edges: Edges = new Map();
  const features = model.inputShape[1]!;
  let before = options.includeInputs ? addNeurons(graph, "input", features, "input", order) : undefined;
  for (const layer of model.recurrent) {
    const keys = addNeurons(graph, layer.name, layer.hidden, "hidden", order);
    if (before !== undefined) addWeightEdges(edges, model, layer, "input", before, keys, threshold);
    addWeightEdges(edges, model, layer, "hidden", keys, keys, threshold);
    before = keys;
  }
  const last = before!;
  let layerZero = last;
  if (model.spec.recurrent!.output === "all") {
    layerZero = addNeurons(graph, "recurrent", model.inputShape[0]! * last.length, "hidden", order);
    layerZero.forEach((key, k) => accumulate(edges, last[k % last.length]!, key, 1, true));
  }
  for (const e of edges.values()) {
    // Order 0 edges are complete here; at orders 1 and 2 the caller takes every norm's root, ours with the others.
    const norm = order === 0 ? Math.sqrt(e.norm) : e.norm;
    graph.addEdge(e.source, e.target, { connections: e.connections, norm, ...(e.weight !== undefined && order === 0 ? { weight: e.weight } : {}) });
  }
  return layerZero;
}

/**
 * The stack's neurons and live connections into `sink`; returns the global
 * number of layer 0's first neuron (the last recurrent layer's first, unless
 * every step is the output).
 */
export function addRecurrentConnections(model: Model, sink: ConnectionSink, options: { readonly threshold: number; readonly includeInputs: boolean }): number {
  let before = options.includeInputs ? sink.addLayer("input", model.inputShape[1]!) : undefined;
  for (const layer of model.recurrent) {
    const offset = sink.addLayer(layer.name, layer.hidden);
    if (before !== undefined) addWeightConnections(sink, model, layer, "input", before, offset, options.threshold);
    addWeightConnections(sink, model, layer, "hidden", offset, offset, options.threshold);
    before = offset;
  }
  const last = model.recurrent.at(-1)!;
  if (model.spec.recurrent!.output !== "all") return before!;
  const steps = model.inputShape[0]!;
  const layerZero = sink.addLayer(model.layers[0]!.name, steps * last.hidden);
  for (let k = 0; k < steps * last.hidden; k++) sink.add(before! + (k % last.hidden), layerZero + k, 1);
  return layerZero;
}

/** One entry per (row, neuron) with a live gate weight above the threshold: the weight itself for one gate, the gates' L2 norm for several. */
function addWeightConnections(sink: ConnectionSink, model: Model, layer: RecurrentInfo, which: "input" | "hidden", from: number, to: number, threshold: number): void {
  const mask = model.getMask(`${layer.name}.${which}`);
  const weights = values(model, `${layer.name}.${which}Weight`);
  const hidden = layer.hidden;
  const rows = mask.length / (layer.gates * hidden);
  const squares = new Float64Array(rows * hidden);
  const live = new Uint8Array(rows * hidden);
  for (let i = 0; i < mask.length; i++) {
    const w = weights[i]!;
    if (mask[i] === 0 || Math.abs(w) <= threshold) continue;
    // Entry i is (row, gate · hidden + neuron): its pair is row · hidden + neuron.
    const pair = Math.floor(i / (layer.gates * hidden)) * hidden + (i % hidden);
    squares[pair] = layer.gates === 1 ? w : squares[pair]! + w * w;
    live[pair] = 1;
  }
  for (let pair = 0; pair < live.length; pair++) {
    if (live[pair] === 0) continue;
    const row = Math.floor(pair / hidden);
    sink.add(from + row, to + (pair - row * hidden), layer.gates === 1 ? squares[pair]! : Math.sqrt(squares[pair]!));
  }
}
