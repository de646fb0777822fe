import type { DirectedGraph } from "graphology";
import { append, layerRawGraph } from "./index.js";
import type { LayeredGraph } from "./program.js";
import type { RawGraph } from "./raw-graph.js";

/**
 * Questions about a layered graph, as deepstruct's `LabeledDAG` answers them,
 * for TypeScript code and for `dsc graph`. Layers are numbered by depth from 0.
 */

/** The layer (depth) of a vertex. @throws Error for a vertex the graph does not have. */
export function layerOf(graph: LayeredGraph, vertex: number): number {
  const depth = graph.depthOf.get(vertex);
  if (depth === undefined) throw new Error(`graph '${graph.name}' has no vertex ${vertex}`);
  return depth;
}

/** The vertices of a layer, ascending. @throws Error for a layer out of range. */
export function verticesIn(graph: LayeredGraph, layer: number): readonly number[] {
  const vertices = graph.layers[layer];
  if (vertices === undefined) throw new Error(`graph '${graph.name}' has layers 0 … ${graph.layers.length - 1}, not ${layer}`);
  return vertices;
}

/** Vertices per layer. */
export function layerSizes(graph: LayeredGraph): number[] {
  return graph.layers.map((vertices) => vertices.length);
}

/** Neurons per layer: vertices, or the sum of their groups in a scalable family. */
export function neuronCounts(graph: LayeredGraph): number[] {
  return graph.layers.map((vertices) => vertices.reduce((sum, v) => sum + (graph.groupSizes?.get(v) ?? 1), 0));
}

/** How many edges go from layer `source` to layer `target`. */
export function edgesBetween(graph: LayeredGraph, source: number, target: number): number {
  verticesIn(graph, source);
  verticesIn(graph, target);
  return connectedLayerPairs(graph).find((pair) => pair.source === source && pair.target === target)?.edges ?? 0;
}

/** Whether any edge goes from layer `source` to layer `target`. */
export function areConnected(graph: LayeredGraph, source: number, target: number): boolean {
  return edgesBetween(graph, source, target) > 0;
}

/** Every pair of layers some edge joins, with its edge count, ordered by (source, target). */
export function connectedLayerPairs(graph: LayeredGraph): { source: number; target: number; edges: number }[] {
  const counts = new Map<string, { source: number; target: number; edges: number }>();
  graph.graph.forEachEdge((_edge, _attributes, s, t) => {
    const source = graph.depthOf.get(Number(s))!;
    const target = graph.depthOf.get(Number(t))!;
    const key = `${source},${target}`;
    const pair = counts.get(key) ?? { source, target, edges: 0 };
    pair.edges++;
    counts.set(key, pair);
  });
  return [...counts.values()].sort((a, b) => a.source - b.source || a.target - b.target);
}

/**
 * A layered graph from any graphology DAG whose node keys are non-negative
 * integers (as strings or numbers). @throws Error for other keys or a cycle.
 */
export function layeredGraph(name: string, graph: DirectedGraph): LayeredGraph {
  const ids = graph.nodes().map((key) => {
    if (!/^\d+$/.test(key)) throw new Error(`layeredGraph: node '${key}' is not a non-negative integer`);
    return Number(key);
  });
  ids.sort((a, b) => a - b);
  const position = new Map(ids.map((id, i) => [id, i]));
  const sources: number[] = [];
  const targets: number[] = [];
  graph.forEachEdge((_edge, _attributes, s, t) => {
    sources.push(position.get(Number(s))!);
    targets.push(position.get(Number(t))!);
  });
  return layered(name, { ids, sources: Uint32Array.from(sources), targets: Uint32Array.from(targets), directed: true });
}

/**
 * `top` stacked on `bottom` (deepstruct's `LabeledDAG.append`): top's vertex
 * ids shift past bottom's largest, and every sink of bottom feeds every
 * source of top.
 */
export function appendLayered(bottom: LayeredGraph, top: LayeredGraph, name = `${bottom.name}+${top.name}`): LayeredGraph {
  return layered(name, append(toRaw(bottom), toRaw(top)));
}

function toRaw(graph: LayeredGraph): RawGraph {
  const ids = [...graph.depthOf.keys()].sort((a, b) => a - b);
  const position = new Map(ids.map((id, i) => [id, i]));
  const sources: number[] = [];
  const targets: number[] = [];
  graph.graph.forEachEdge((_edge, _attributes, s, t) => {
    sources.push(position.get(Number(s))!);
    targets.push(position.get(Number(t))!);
  });
  const groups = graph.groupSizes;
  return {
    ids,
    sources: Uint32Array.from(sources),
    targets: Uint32Array.from(targets),
    directed: true,
    ...(groups ? { groupSizes: Uint32Array.from(ids, (id) => groups.get(id) ?? 1) } : {}),
  };
}

function layered(name: string, raw: RawGraph): LayeredGraph {
  const result = layerRawGraph(name, raw);
  if ("cycle" in result) throw new Error(`graph '${name}' has a cycle: ${result.cycle.join(" -> ")}`);
  return result;
}
