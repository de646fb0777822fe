/**
 * Extraction of the feature layers. Order 0: every position × channel of
 * every feature map a vertex, keyed `LAYER:INDEX` with INDEX = (channel ·
 * height + row) · width + column (channels first, as the user writes shapes,
 * so no two positions share a key whatever the height and width), the input
 * `input:INDEX`. Edges: one per live conv weight use (its weight); a pooling
 * window's taps (weight 1 for max, 1 / window for average); a batch norm's
 * per-neuron scale gain / √(running variance + ε). Order 1 merges each
 * channel's positions into one vertex `LAYER:CHANNEL`, order 2 each map into
 * `LAYER`; their edges carry the count of the order-0 edges they stand for
 * and the L2 norm of those weights.
 */
import type { ExtractedGraph, ExtractionOrder } from "../extract-types.js";
import { forEachConvTap } from "../kernels/conv/receptive-field.js";
import type { Model } from "../model.js";
import type { FeatureLayerSpec } from "../spec.js";
import { windowGeometry, type ChannelsFirst } from "./shapes.js";

/**
 * The vertex key of each neuron of a map at `order`, its vertices added
 * (their `size` counting the neurons merged; `vertex` the graph vertex of the
 * cell the map belongs to, if it does).
 */
function addMap(graph: ExtractedGraph, layer: string, shape: ChannelsFirst, kind: "input" | "hidden", order: ExtractionOrder, vertex?: number): string[] {
  const [c, h, w] = shape;
  return Array.from({ length: c * h * w }, (_, index) => {
    const group = order === 0 ? index : order === 1 ? Math.floor(index / (h * w)) : 0;
    const key = order === 2 ? layer : `${layer}:${group}`;
    if (graph.hasNode(key)) graph.updateNodeAttribute(key, "size", (size) => (size ?? 0) + 1);
    else graph.addNode(key, { layer, index: group, kind, size: 1, ...(vertex === undefined ? {} : { vertex }) });
    return key;
  });
}

/**
 * A map's neurons as vertex keys, channels first, with the map's shape. A
 * key is undefined where the position has no vertex: a zero-padded position
 * of a cell network's concatenated maps, or a map left out (the input without
 * `includeInputs`); no edge leaves it.
 */
export interface KeyedMap {
  readonly keys: readonly (string | undefined)[];
  readonly shape: ChannelsFirst;
}

export type EdgeSink = (source: string, target: string, weight: number) => void;

/** Order 0 adds every edge; orders 1 and 2 count them and sum their squared weights (the norm's root is taken by the caller). */
export function edgeSink(graph: ExtractedGraph, order: ExtractionOrder): EdgeSink {
  if (order === 0) return (source, target, weight) => graph.addEdge(source, target, { weight });
  return (source, target, weight) => {
    const edge = graph.edge(source, target);
    if (edge === undefined) graph.addEdge(source, target, { connections: 1, norm: weight * weight });
    else graph.updateEdgeAttributes(edge, (a) => ({ connections: (a.connections ?? 0) + 1, norm: (a.norm ?? 0) + weight * weight }));
  };
}

const at = (shape: ChannelsFirst, row: number, col: number, channel: number): number => (channel * shape[1] + row) * shape[2] + col;

function values(model: Model, name: string): Float32Array {
  const found = [...model.parameters, ...model.state].find((p) => p.name === name)!;
  return found.variable.dataSync() as Float32Array;
}

export interface StackOptions {
  readonly order: ExtractionOrder;
  readonly threshold: number;
  readonly sink: EdgeSink;
  /** The graph vertex of the cell these layers make, for the `vertex` attribute of their maps. */
  readonly vertex?: number;
}

/** Adds the maps of `layers` over `input` and the edges into each; returns the last map. */
export function addFeatureStack(model: Model, graph: ExtractedGraph, layers: readonly FeatureLayerSpec[], input: KeyedMap, options: StackOptions): KeyedMap {
  let before = input;
  for (const layer of layers) {
    const shape = model.features.find((f) => f.name === layer.name)!.outputShape;
    const after = { keys: addMap(graph, layer.name, shape, "hidden", options.order, options.vertex), shape };
    addLayerEdges(model, layer, before, after, options);
    before = after;
  }
  return before;
}

/**
 * Adds the input and the feature maps in front of the dense part (or of the
 * cells) with their edges; returns the last map, the input itself when there
 * are no feature layers (its keys undefined when `includeInputs` is off).
 */
export function addFeatureGraph(
  model: Model,
  graph: ExtractedGraph,
  options: { readonly order: ExtractionOrder; readonly threshold: number; readonly includeInputs: boolean },
): KeyedMap {
  const shape = model.inputShape as unknown as ChannelsFirst;
  const input = { keys: options.includeInputs ? addMap(graph, "input", shape, "input", options.order) : [], shape };
  return addFeatureStack(model, graph, model.spec.features ?? [], input, { ...options, sink: edgeSink(graph, options.order) });
}

function addLayerEdges(model: Model, layer: FeatureLayerSpec, input: KeyedMap, output: KeyedMap, { threshold, sink }: StackOptions): void {
  const [from, to] = [input.shape, output.shape];
  const edge = (i: number, o: number, weight: number): void => {
    const source = input.keys[i];
    if (source !== undefined && Math.abs(weight) > threshold) sink(source, output.keys[o]!, weight);
  };
  if (layer.kind === "batchNorm") {
    const [gain, variance] = [values(model, `${layer.name}.gain`), values(model, `${layer.name}.runningVariance`)];
    const perChannel = from[1] * from[2];
    for (let k = 0; k < from[0] * perChannel; k++) {
      const c = Math.floor(k / perChannel);
      edge(k, k, gain[c]! / Math.sqrt(variance[c]! + layer.epsilon));
    }
    return;
  }
  if (layer.kind === "globalAvgPool") {
    const perChannel = from[1] * from[2];
    for (let k = 0; k < from[0] * perChannel; k++) edge(k, Math.floor(k / perChannel), 1 / perChannel);
    return;
  }
  const kernel = layer.kind === "conv" ? layer.kernel : layer.size;
  const dilation = layer.kind === "conv" ? layer.dilation : ([1, 1] as const);
  const { rows, cols } = windowGeometry(from[1], from[2], kernel, layer.stride, dilation, layer.padding);
  const taps = { kernel, stride: layer.stride, dilation, padTop: rows.before, padLeft: cols.before };
  if (layer.kind === "conv") {
    const weights = values(model, `${layer.name}.weight`);
    const mask = model.getMask(layer.name);
    forEachConvTap({ ...taps, input: [from[1], from[2], from[0]], output: [to[1], to[2], to[0]] }, ([r, q, c], [orow, ocol, o], k) => {
      if (mask[k] !== 0) edge(at(from, r, q, c), at(to, orow, ocol, o), weights[k]!);
    });
    return;
  }
  const weight = layer.kind === "avgPool" ? 1 / (kernel[0] * kernel[1]) : 1;
  for (let c = 0; c < from[0]; c++) {
    forEachConvTap({ ...taps, input: [from[1], from[2], 1], output: [to[1], to[2], 1] }, ([r, q], [orow, ocol]) => edge(at(from, r, q, c), at(to, orow, ocol, c), weight));
  }
}
