import { DirectedGraph } from "graphology";
import type { CheckedGraph, CheckedProgram, EdgeListSource, GeneratorSource } from "../check/program.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import { generate } from "./generators.js";
import { layer } from "./layering.js";
import type { ElaboratedProgram, LayeredGraph } from "./program.js";

export type { ElaboratedProgram, LayeredGraph } from "./program.js";

/**
 * Builds every graph and layers it.
 *
 * Orientation: an undirected graph (every generator, and edge lists written
 * with `--`) becomes a DAG by pointing each edge from its lower vertex id to
 * its higher one, as deepstruct does; vertex order is then a topological
 * order, so no cycle can arise. Directed edge lists keep their directions
 * and are rejected if they contain a cycle.
 */
export function elaborate(program: CheckedProgram): { program: ElaboratedProgram; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const graphs = new Map<string, LayeredGraph>();
  for (const graph of program.graphs) {
    const built = build(graph, bag);
    if (built) graphs.set(graph.name, built);
  }
  return { program: { graphs, networks: program.networks }, diagnostics: bag.items };
}

/** A directed graph over vertex ids `ids` (ascending); edges refer to positions in `ids`. */
interface DirectedEdges {
  readonly ids: readonly number[];
  readonly sources: Uint32Array;
  readonly targets: Uint32Array;
}

function build(graph: CheckedGraph, bag: DiagnosticBag): LayeredGraph | undefined {
  const edges = graph.source.kind === "generator" ? fromGenerator(graph.source) : fromEdgeList(graph.source);
  const layering = layer(edges.ids.length, edges.sources, edges.targets);
  if (!layering.acyclic) {
    reportCycle(graph, layering.cycle.map((position) => edges.ids[position]!), bag);
    return undefined;
  }

  const layers: number[][] = Array.from({ length: layering.depthCount }, () => []);
  const depthOf = new Map<number, number>();
  const directed = new DirectedGraph();
  edges.ids.forEach((id, position) => {
    const depth = layering.depth[position]!;
    layers[depth]!.push(id); // ids ascend, so every layer does too
    depthOf.set(id, depth);
    directed.addNode(String(id));
  });
  for (let e = 0; e < edges.sources.length; e++) {
    directed.addEdge(String(edges.ids[edges.sources[e]!]), String(edges.ids[edges.targets[e]!]));
  }
  return { name: graph.name, graph: directed, layers, depthOf };
}

function fromGenerator(source: GeneratorSource): DirectedEdges {
  const generated = generate(source);
  return { ids: Array.from({ length: generated.order }, (_, i) => i), ...generated };
}

/** Vertex ids are those the list mentions; duplicates (already warned about by `check`) collapse. */
function fromEdgeList(source: EdgeListSource): DirectedEdges {
  const ids = [...new Set(source.edges.flatMap((e) => [e.source, e.target]))].sort((a, b) => a - b);
  const position = new Map(ids.map((id, i) => [id, i]));
  const seen = new Set<string>();
  const sources: number[] = [];
  const targets: number[] = [];
  for (const edge of source.edges) {
    const [u, v] = source.directed || edge.source < edge.target ? [edge.source, edge.target] : [edge.target, edge.source];
    const key = `${u},${v}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sources.push(position.get(u)!);
    targets.push(position.get(v)!);
  }
  return { ids, sources: Uint32Array.from(sources), targets: Uint32Array.from(targets) };
}

/**
 * Reports a cycle at the edge of it written last in the file, and shows the
 * cycle starting where that edge points, so the text ends with that edge.
 */
function reportCycle(graph: CheckedGraph, closedWalk: readonly number[], bag: DiagnosticBag): void {
  const source = graph.source;
  if (source.kind !== "edges") throw new Error(`elaborate: generated graph '${graph.name}' has a cycle`);
  const cycle = closedWalk.slice(0, -1);
  let last: { index: number; span: Span } | undefined;
  cycle.forEach((u, index) => {
    const v = cycle[(index + 1) % cycle.length]!;
    for (const edge of source.edges) {
      if (edge.source === u && edge.target === v && (!last || edge.span.start.offset > last.span.start.offset)) {
        last = { index, span: edge.span };
      }
    }
  });
  const start = ((last?.index ?? cycle.length - 1) + 1) % cycle.length;
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  const text = [...rotated, rotated[0]!].join(" -> ");
  bag.report("DS3001", last?.span ?? graph.span, [graph.name, text], "remove one of these edges, or write them with '--' to let dsc orient them");
}
