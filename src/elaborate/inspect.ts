import { DirectedGraph } from "graphology";
import { density } from "graphology-metrics/graph/density.js";
import type { AbstractGraph } from "graphology-types";
import { layer } from "./layering.js";

export interface Summary {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

export interface GraphInspection {
  readonly vertices: number;
  readonly edges: number;
  /** Edges over the possible ones (graphology-metrics' density for the graph's type). */
  readonly density: number;
  readonly inDegree: Summary;
  readonly outDegree: Summary;
  /** Vertices per total degree: `degreeHistogram[d]` vertices have degree d. */
  readonly degreeHistogram: readonly number[];
  /** Vertices per depth, when the graph is acyclic. */
  readonly layerSizes?: readonly number[];
  /**
   * Over the sinks of an acyclic graph: the length (in edges) of the shortest
   * and of the longest path reaching each from any source.
   */
  readonly pathLengths?: { readonly shortest: Summary; readonly longest: Summary };
}

/** Statistics of a graph for `dsc inspect`, in time linear in vertices plus edges. */
export function inspectGraph(graph: AbstractGraph): GraphInspection {
  const keys = graph.nodes();
  const position = new Map(keys.map((key, i) => [key, i]));
  const inDegrees = keys.map((key) => graph.inDegree(key));
  const outDegrees = keys.map((key) => graph.outDegree(key));
  const total = keys.map((key) => graph.degree(key));
  const histogram = new Array<number>(Math.max(0, ...total) + 1).fill(0);
  for (const d of total) histogram[d]!++;
  const sources = new Uint32Array(graph.size);
  const targets = new Uint32Array(graph.size);
  let e = 0;
  graph.forEachEdge((_edge, _attributes, s, t) => {
    sources[e] = position.get(s)!;
    targets[e++] = position.get(t)!;
  });
  const base: GraphInspection = {
    vertices: graph.order,
    edges: graph.size,
    density: graph.order < 2 ? 0 : density(graph),
    inDegree: summarize(inDegrees),
    outDegree: summarize(outDegrees),
    degreeHistogram: histogram,
  };
  if (graph.type !== "directed") return base;
  const layering = layer(keys.length, sources, targets);
  if (!layering.acyclic) return base;
  const sizes = new Array<number>(layering.depthCount).fill(0);
  for (const d of layering.depth) sizes[d]!++;
  return { ...base, layerSizes: sizes, pathLengths: sourceToSinkPaths(keys.length, sources, targets, layering.depth, outDegrees) };
}

/** Shortest and longest distance from any source, by relaxing edges in depth order (a topological order). */
function sourceToSinkPaths(order: number, sources: Uint32Array, targets: Uint32Array, depth: Int32Array, outDegrees: readonly number[]): GraphInspection["pathLengths"] {
  const edgeOrder = Array.from(sources.keys()).sort((a, b) => depth[sources[a]!]! - depth[sources[b]!]!);
  const shortest = new Float64Array(order).fill(Infinity);
  const hasIn = new Uint8Array(order);
  for (const t of targets) hasIn[t] = 1;
  for (let v = 0; v < order; v++) if (!hasIn[v]) shortest[v] = 0;
  for (const e of edgeOrder) {
    const [u, v] = [sources[e]!, targets[e]!];
    if (shortest[u]! + 1 < shortest[v]!) shortest[v] = shortest[u]! + 1;
  }
  const sinks = Array.from({ length: order }, (_, v) => v).filter((v) => outDegrees[v] === 0);
  return { shortest: summarize(sinks.map((v) => shortest[v]!)), longest: summarize(sinks.map((v) => depth[v]!)) };
}

function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { min: 0, mean: 0, max: 0 };
  let [min, max, sum] = [Infinity, -Infinity, 0];
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, mean: sum / values.length, max };
}

/** A graphology graph of a graph file's vertices and edges (ids as `file(...)` numbers them). */
export function graphOfIds(ids: readonly number[], sources: Uint32Array, targets: Uint32Array): DirectedGraph {
  const graph = new DirectedGraph();
  for (const id of ids) graph.addNode(String(id));
  for (let e = 0; e < sources.length; e++) graph.addEdge(String(ids[sources[e]!]), String(ids[targets[e]!]));
  return graph;
}
