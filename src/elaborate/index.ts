import { DirectedGraph } from "graphology";
import type { CheckedGraph, CheckedProgram, EdgeListSource, GraphSource } from "../check/program.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import { readGraphFile } from "./files.js";
import { generate } from "./generators.js";
import { groupSizes } from "./groups.js";
import { layer } from "./layering.js";
import { orient } from "./orientation.js";
import type { ElaboratedProgram, LayeredGraph, MaskFile } from "./program.js";
import { readMaskFile } from "./mask-files.js";
import type { RawGraph } from "./raw-graph.js";

export type { ElaboratedProgram, LayeredGraph } from "./program.js";

export interface ElaborateOptions {
  /** Where `file(...)` paths are resolved: the .ds file's folder (default: the working directory). */
  readonly baseDir?: string;
}

/**
 * Builds every graph and layers it.
 *
 * Orientation: an undirected graph (the generators but `random_dag`, files
 * without direction, edge lists written with `--`) becomes a DAG by pointing
 * each edge from its lower vertex id to its higher one, as deepstruct does,
 * unless `orient(...)` chooses another order; a total order of the vertices
 * can never make a cycle. Directed graphs keep their directions and are
 * rejected if they contain a cycle.
 */
export function elaborate(program: CheckedProgram, options: ElaborateOptions = {}): { program: ElaboratedProgram; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const graphs = new Map<string, LayeredGraph>();
  const builder = new GraphBuilder(options.baseDir ?? process.cwd(), bag);
  for (const graph of program.graphs) {
    const built = builder.layered(graph);
    if (built) graphs.set(graph.name, built);
  }
  const maskFiles = new Map<string, MaskFile>();
  for (const network of program.networks) {
    for (const policy of network.masks) {
      if (policy.kind === "file" && !maskFiles.has(policy.path)) maskFiles.set(policy.path, readMaskFile(policy.path, options.baseDir ?? process.cwd()));
    }
  }
  return { program: { graphs, networks: program.networks, maskFiles }, diagnostics: bag.items };
}

class GraphBuilder {
  constructor(
    private readonly baseDir: string,
    private readonly bag: DiagnosticBag,
  ) {}

  layered(graph: CheckedGraph): LayeredGraph | undefined {
    const raw = this.build(graph.source, graph);
    if (raw === undefined) return undefined;
    const result = layerRawGraph(graph.name, raw);
    if ("cycle" in result) {
      reportCycle(graph, result.cycle, this.bag);
      return undefined;
    }
    return result;
  }

  private build(source: GraphSource, graph: CheckedGraph): RawGraph | undefined {
    switch (source.kind) {
      case "generator": {
        const generated = generate(source);
        return { ids: Array.from({ length: generated.order }, (_, i) => i), ...generated };
      }
      case "edges":
        return fromEdgeList(source);
      case "file": {
        const read = readGraphFile(source.path, this.baseDir);
        if ("ids" in read) return read;
        if (read.kind === "unreadable") this.bag.report("DS2022", source.span, [source.path, read.reason]);
        else if (read.kind === "malformed") this.bag.report("DS2023", source.span, [source.path, read.reason]);
        else this.bag.report("DS2024", source.span, [source.path, read.node], "declare every node an edge refers to");
        return undefined;
      }
      case "orient": {
        const inner = this.build(source.graph, graph);
        if (inner === undefined) return undefined;
        if (inner.directed) {
          this.bag.report("DS2025", source.span, ["orient", "its graph"], "orient undirected graphs only: generators, files without direction, or edges written with '--'");
          return undefined;
        }
        const missing = source.rule === "bfs" ? source.roots.find((root) => !inner.ids.includes(root)) : undefined;
        if (missing !== undefined) {
          this.bag.report("DS2006", source.span, ["roots", "vertices of the graph", missing]);
          return undefined;
        }
        return orient(inner, source.rule, source.roots, source.seed);
      }
      case "scalable": {
        const inner = this.build(source.graph, graph);
        if (inner === undefined) return undefined;
        const sizes = groupSizes(inner.ids.length, source.scale, source.proportions);
        if (sizes === undefined) {
          const given = source.proportions.kind === "explicit" ? source.proportions.values.length : 0;
          this.bag.report("DS2006", source.span, ["proportions", `one weight per vertex (${inner.ids.length})`, `${given} weights`]);
          return undefined;
        }
        return { ...inner, groupSizes: sizes };
      }
      case "append": {
        const bottom = this.build(source.bottom, graph);
        const top = this.build(source.top, graph);
        return bottom && top && append(bottom, top);
      }
    }
  }
}

/**
 * Orients (by index, if undirected) and layers a graph; a directed cycle comes
 * back as a closed walk of vertex ids instead.
 */
export function layerRawGraph(name: string, raw: RawGraph): LayeredGraph | { readonly cycle: readonly number[] } {
  const dag = raw.directed ? raw : orient(raw, "index", [], 0);
  const layering = layer(dag.ids.length, dag.sources, dag.targets);
  if (!layering.acyclic) return { cycle: layering.cycle.map((position) => dag.ids[position]!) };
  const layers: number[][] = Array.from({ length: layering.depthCount }, () => []);
  const depthOf = new Map<number, number>();
  const directed = new DirectedGraph();
  dag.ids.forEach((id, position) => {
    const depth = layering.depth[position]!;
    layers[depth]!.push(id); // ids ascend, so every layer does too
    depthOf.set(id, depth);
    directed.addNode(String(id));
  });
  for (let e = 0; e < dag.sources.length; e++) {
    directed.addEdge(String(dag.ids[dag.sources[e]!]), String(dag.ids[dag.targets[e]!]));
  }
  const groups = dag.groupSizes;
  return {
    name,
    graph: directed,
    layers,
    depthOf,
    ...(groups ? { groupSizes: new Map(dag.ids.map((id, i) => [id, groups[i]!])) } : {}),
  };
}

/**
 * `append(bottom, top)` (deepstruct's `LabeledDAG.append`): the top graph's
 * vertices are renumbered after the bottom's (id + largest bottom id + 1),
 * both are oriented, and every sink of the bottom feeds every source of the top.
 */
export function append(bottom: RawGraph, top: RawGraph): RawGraph {
  const a = bottom.directed ? bottom : orient(bottom, "index", [], 0);
  const b = top.directed ? top : orient(top, "index", [], 0);
  const offset = (a.ids.at(-1) ?? -1) + 1;
  const shift = a.ids.length;
  const hasOut = new Uint8Array(a.ids.length);
  for (const s of a.sources) hasOut[s] = 1;
  const hasIn = new Uint8Array(b.ids.length);
  for (const t of b.targets) hasIn[t] = 1;
  const sources: number[] = [...a.sources, ...Array.from(b.sources, (s) => s + shift)];
  const targets: number[] = [...a.targets, ...Array.from(b.targets, (t) => t + shift)];
  hasOut.forEach((out, u) => {
    if (out) return;
    hasIn.forEach((into, v) => {
      if (into) return;
      sources.push(u);
      targets.push(v + shift);
    });
  });
  const groups = a.groupSizes || b.groupSizes ? Uint32Array.from([...(a.groupSizes ?? a.ids.map(() => 1)), ...(b.groupSizes ?? b.ids.map(() => 1))]) : undefined;
  return {
    ids: [...a.ids, ...b.ids.map((id) => id + offset)],
    sources: Uint32Array.from(sources),
    targets: Uint32Array.from(targets),
    directed: true,
    ...(groups ? { groupSizes: groups } : {}),
  };
}

/** Vertex ids are those the list mentions; duplicates (already warned about by `check`) collapse. */
function fromEdgeList(source: EdgeListSource): RawGraph {
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
  return { ids, sources: Uint32Array.from(sources), targets: Uint32Array.from(targets), directed: source.directed };
}

/**
 * Reports a cycle. In an edge list it is reported at the edge of it written
 * last, and shown starting where that edge points, so the text ends with
 * that edge; for other sources (files), at the graph's declaration.
 */
function reportCycle(graph: CheckedGraph, closedWalk: readonly number[], bag: DiagnosticBag): void {
  const cycle = closedWalk.slice(0, -1);
  const source = graph.source;
  let last: { index: number; span: Span } | undefined;
  if (source.kind === "edges") {
    cycle.forEach((u, index) => {
      const v = cycle[(index + 1) % cycle.length]!;
      for (const edge of source.edges) {
        if (edge.source === u && edge.target === v && (!last || edge.span.start.offset > last.span.start.offset)) {
          last = { index, span: edge.span };
        }
      }
    });
  }
  const start = ((last?.index ?? cycle.length - 1) + 1) % cycle.length;
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  const text = [...rotated, rotated[0]!].join(" -> ");
  bag.report("DS3001", last?.span ?? graph.span, [graph.name, text], "remove one of these edges, or make the graph undirected to let dsc orient it");
}
