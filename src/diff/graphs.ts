import type { CheckedGraph } from "../check/program.js";
import { layerSizes, neuronCounts } from "../elaborate/layered.js";
import type { LayeredGraph } from "../elaborate/program.js";
import { argumentChanges } from "./arguments.js";
import { listed, sameList } from "./listed.js";
import type { Edge, GraphDiff } from "./types.js";

/** A graph as the diff sees it: its checked declaration and the layered DAG built from it. */
export interface GraphVersion {
  readonly declaration: CheckedGraph;
  readonly layered: LayeredGraph;
}

/** What differs between two versions of a graph, or undefined when nothing does. */
export function diffGraph(a: GraphVersion, b: GraphVersion, limit: number): GraphDiff | undefined {
  const args = argumentChanges(a.declaration.source, b.declaration.source);
  const verticesA = vertexSet(a.layered);
  const verticesB = vertexSet(b.layered);
  const edgesA = edgeMap(a.layered);
  const edgesB = edgeMap(b.layered);
  const sizes = { before: layerSizes(a.layered), after: layerSizes(b.layered) };
  const neurons = { before: neuronCounts(a.layered), after: neuronCounts(b.layered) };
  const neuronsShown = (a.layered.groupSizes !== undefined || b.layered.groupSizes !== undefined) && !sameList(neurons.before, neurons.after);
  const diff: GraphDiff = {
    name: a.declaration.name,
    arguments: args,
    vertices: { before: verticesA.size, after: verticesB.size, added: listed(onlyIn(verticesB, verticesA), limit), removed: listed(onlyIn(verticesA, verticesB), limit) },
    edges: { before: edgesA.size, after: edgesB.size, added: listed(edgesOnlyIn(edgesB, edgesA), limit), removed: listed(edgesOnlyIn(edgesA, edgesB), limit) },
    ...(sameList(sizes.before, sizes.after) ? {} : { layerSizes: sizes }),
    ...(neuronsShown ? { neurons } : {}),
  };
  const unchanged = args.length === 0 && diff.vertices.added.count + diff.vertices.removed.count + diff.edges.added.count + diff.edges.removed.count === 0;
  return unchanged && diff.layerSizes === undefined && !neuronsShown ? undefined : diff;
}

function vertexSet(graph: LayeredGraph): Set<number> {
  return new Set(graph.graph.nodes().map(Number));
}

/** Edges by a key that is equal for equal edges. */
function edgeMap(graph: LayeredGraph): Map<string, Edge> {
  const edges = new Map<string, Edge>();
  graph.graph.forEachEdge((_edge, _attributes, source, target) => void edges.set(`${source}>${target}`, [Number(source), Number(target)]));
  return edges;
}

function onlyIn(a: ReadonlySet<number>, b: ReadonlySet<number>): number[] {
  return [...a].filter((v) => !b.has(v)).sort((x, y) => x - y);
}

function edgesOnlyIn(a: ReadonlyMap<string, Edge>, b: ReadonlyMap<string, Edge>): Edge[] {
  return [...a]
    .filter(([key]) => !b.has(key))
    .map(([, edge]) => edge)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}
