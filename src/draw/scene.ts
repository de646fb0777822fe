/**
 * What a picture shows, before any geometry: one column per layer, the
 * nodes in it (neurons at order 0, neuron groups at order 1, whole layers at
 * order 2) and the edges between them, all read from the model's
 * extractGraph so the picture counts exactly what the model holds.
 */
import { DirectedGraph } from "graphology";
import type { ExtractedGraph, ExtractionOrder, Model } from "../../runtime/index.js";

export interface SceneColumn {
  readonly name: string;
  readonly size: number;
}

export interface SceneNode {
  readonly id: string;
  /** Index into Scene.columns: the node's layer. */
  readonly column: number;
  /** Neurons the node stands for (1 at order 0). */
  readonly size: number;
  /** What a box says (orders 1 and 2). */
  readonly label: string;
}

export interface SceneEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** Order 0: the connection's weight. */
  readonly weight?: number;
  /** Orders 1 and 2: live connections over possible ones, and their root-mean-square weight. */
  readonly density?: number;
  readonly rms?: number;
}

export interface Scene {
  readonly name: string;
  readonly order: ExtractionOrder;
  readonly columns: readonly SceneColumn[];
  readonly nodes: readonly SceneNode[];
  readonly edges: readonly SceneEdge[];
}

export function buildScene(model: Model, order: ExtractionOrder): Scene {
  const graph = order === 1 ? layersWhole(model.extractGraph({ order: 1 })) : model.extractGraph({ order });
  const columns = model.layers.map((layer) => ({ name: layer.name, size: layer.size }));
  const columnOf = new Map(columns.map((c, i) => [c.name, i]));
  const nodes = graph.mapNodes((id, a): SceneNode => {
    const name = order === 0 ? id : a.vertex === undefined ? a.layer : `v${a.vertex}`;
    return { id, column: columnOf.get(a.layer)!, size: a.size, label: `${name}\n${a.size}` };
  });
  return { name: model.name, order, columns, nodes, edges: sceneEdges(graph, order) };
}

/**
 * Order 1 with each layer that is not made of graph vertices (the input,
 * dense layers, the output) as one box: there every group is a single
 * neuron, and hundreds of one-neuron boxes would hide the structure's groups.
 */
function layersWhole(groups: ExtractedGraph): ExtractedGraph {
  const merged: ExtractedGraph = new DirectedGraph();
  const keyOf = (id: string): string => {
    const a = groups.getNodeAttributes(id);
    return a.vertex === undefined ? a.layer : id;
  };
  groups.forEachNode((id, a) => {
    const key = keyOf(id);
    if (merged.hasNode(key)) merged.updateNodeAttribute(key, "size", (size) => (size ?? 0) + a.size);
    else merged.addNode(key, { ...a, index: a.vertex === undefined ? 0 : a.index });
  });
  groups.forEachEdge((_edge, a, source, target) => {
    const [from, to] = [keyOf(source), keyOf(target)];
    const norm2 = (a.norm ?? 0) ** 2;
    const existing = merged.edge(from, to);
    if (existing === undefined) merged.addEdge(from, to, { connections: a.connections ?? 0, norm: norm2 });
    else merged.updateEdgeAttributes(existing, (b) => ({ connections: (b.connections ?? 0) + (a.connections ?? 0), norm: (b.norm ?? 0) + norm2 }));
  });
  merged.updateEachEdgeAttributes((_edge, a) => ({ ...a, norm: Math.sqrt(a.norm ?? 0) }));
  return merged;
}

function sceneEdges(graph: ExtractedGraph, order: ExtractionOrder): SceneEdge[] {
  return graph.mapEdges((id, a, source, target, s, t): SceneEdge => {
    if (order === 0) return { id, source, target, weight: a.weight ?? 0 };
    const connections = a.connections ?? 0;
    const rms = connections === 0 ? 0 : (a.norm ?? 0) / Math.sqrt(connections);
    return { id, source, target, density: connections / (s.size * t.size), rms };
  });
}

/** Neuron groups the model has at order 1, counted without building the graph. */
export function groupCount(model: Model): number {
  return model.layers.reduce((sum, layer) => sum + (layer.vertices === undefined ? layer.size : new Set(layer.vertices).size), 0);
}
