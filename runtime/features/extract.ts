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

/** The vertex key of each neuron of a map at `order`, its vertices added (their `size` counting the neurons merged). */
function addMap(graph: ExtractedGraph, layer: string, shape: ChannelsFirst, kind: "input" | "hidden", order: ExtractionOrder): string[] {
  const [c, h, w] = shape;
  return Array.from({ length: c * h * w }, (_, index) => {
    const group = order === 0 ? index : order === 1 ? Math.floor(index / (h * w)) : 0;
    const key = order === 2 ? layer : `${layer}:${group}`;
    if (graph.hasNode(key)) graph.updateNodeAttribute(key, "size", (size) => (size ?? 0) + 1);
    else graph.addNode(key, { layer, index: group, kind, size: 1 });
    return key;
  });
}

type EdgeSink = (source: string, target: string, weight: number) => void;

/** Order 0 adds every edge; orders 1 and 2 count them and sum their squared weights (the norm's root is taken by the caller). */
function edgeSink(graph: ExtractedGraph, order: ExtractionOrder): EdgeSink {
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

/** Adds the feature maps and their edges; returns the keys of the last map (layer 0 of the dense part), or of the input when `includeInputs` is off and there is nothing before. */
export function addFeatureGraph(
  model: Model,
  graph: ExtractedGraph,
  options: { readonly order: ExtractionOrder; readonly threshold: number; readonly includeInputs: boolean },
): string[] {
  const specs = model.spec.features ?? [];
  const input = model.inputShape as unknown as ChannelsFirst;
  const sink = edgeSink(graph, options.order);
  let before = options.includeInputs ? addMap(graph, "input", input, "input", options.order) : undefined;
  let shape = input;
  specs.forEach((layer, i) => {
    const info = model.features[i]!;
    const out = info.outputShape;
    const after = addMap(graph, layer.name, out, "hidden", options.order);
    if (before !== undefined) addLayerEdges(model, layer, shape, out, before, after, options.threshold, sink);
    before = after;
    shape = out;
  });
  return before ?? [];
}

function addLayerEdges(model: Model, layer: FeatureLayerSpec, from: ChannelsFirst, to: ChannelsFirst, before: string[], after: string[], threshold: number, sink: EdgeSink): void {
  const edge = (i: number, o: number, weight: number): void => {
    if (Math.abs(weight) > threshold) sink(before[i]!, after[o]!, weight);
  };
  if (layer.kind === "batchNorm") {
    const [gain, variance] = [values(model, `${layer.name}.gain`), values(model, `${layer.name}.runningVariance`)];
    const perChannel = from[1] * from[2];
    for (let k = 0; k < before.length; k++) {
      const c = Math.floor(k / perChannel);
      edge(k, k, gain[c]! / Math.sqrt(variance[c]! + layer.epsilon));
    }
    return;
  }
  if (layer.kind === "globalAvgPool") {
    const perChannel = from[1] * from[2];
    for (let k = 0; k < before.length; k++) edge(k, Math.floor(k / perChannel), 1 / perChannel);
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
