import { DirectedGraph } from "graphology";
import type { CheckedGraph, CheckedProgram, EdgeListSource, GraphSource } from "../check/program.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import { generatedSize } from "../check/generators.js";
import { Budget, DEFAULT_LIMITS, withinLimit } from "../check/limits.js";
import { readGraphFile } from "./files.js";
import { generate } from "./generators.js";
import { groupSizes } from "./groups.js";
import { layer } from "./layering.js";
import { orient } from "./orientation.js";
import type { ElaboratedProgram, LayeredGraph, MaskFile } from "./program.js";
import { readMaskFile } from "./mask-files.js";
import type { RawGraph } from "./raw-graph.js";
import { MAX_HIDDEN, recurrentGraphNames } from "../check/recurrent.js";

export type { ElaboratedProgram, LayeredGraph } from "./program.js";

export interface ElaborateOptions {
  /** Where `file(...)` paths are resolved: the .ds file's folder (default: the working directory). */
  readonly baseDir?: string;
  /** The file's running totals and limits, shared with lower (default: a fresh budget at the default limits). */
  readonly budget?: Budget;
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
  const budget = options.budget ?? new Budget(DEFAULT_LIMITS);
  const builder = new GraphBuilder(options.baseDir ?? process.cwd(), budget, bag);
  const recurrentOnly = recurrentOnlyGraphs(program.networks);
  for (const graph of program.graphs) {
    // A graph only recurrent layers use may have cycles and self-loops: layer it where it can be (draw, diff), never reject it.
    const built = builder.layered(graph, !recurrentOnly.has(graph.name));
    if (built) graphs.set(graph.name, built);
  }
  const recurrentGraphs = new Map<string, RawGraph>();
  const byName = new Map(program.graphs.map((g) => [g.name, g]));
  for (const network of program.networks) {
    for (const width of network.recurrent?.hidden ?? []) {
      if (typeof width === "number" || recurrentGraphs.has(width.graph)) continue;
      const raw = builder.raw(byName.get(width.graph)!);
      if (raw !== undefined && recurrentGraphFits(width.graph, raw, width.span, bag)) recurrentGraphs.set(width.graph, raw);
    }
  }
  const maskFiles = new Map<string, MaskFile>();
  for (const network of program.networks) {
    for (const policy of network.masks) {
      if (policy.kind === "file" && !maskFiles.has(policy.path)) maskFiles.set(policy.path, readMaskFile(policy.path, options.baseDir ?? process.cwd(), budget.limits.fileBytes));
    }
  }
  return { program: { graphs, networks: program.networks, maskFiles, recurrentGraphs }, diagnostics: bag.items };
}

/** Graphs that recurrent layers name and no structure does. */
function recurrentOnlyGraphs(networks: ElaboratedProgram["networks"]): Set<string> {
  const recurrent = new Set(networks.flatMap((n) => recurrentGraphNames(n.recurrent)));
  for (const network of networks) for (const stage of network.stages) if (stage.kind === "structure") recurrent.delete(stage.graph);
  return recurrent;
}

/** A graph can be a recurrent layer's connectivity if it has vertices and one neuron per vertex; reports why not at the reference. */
function recurrentGraphFits(name: string, raw: RawGraph, span: Span, bag: DiagnosticBag): boolean {
  if (raw.ids.length === 0) {
    bag.report("DS2061", span, [name], "a recurrent layer needs at least one hidden neuron; use a graph with vertices");
    return false;
  }
  if (raw.ids.length > MAX_HIDDEN) {
    bag.report("DS2006", span, [`hidden (the vertices of graph '${name}')`, `at most ${MAX_HIDDEN}`, raw.ids.length]);
    return false;
  }
  if (raw.groupSizes !== undefined) {
    bag.report("DS2062", span, [name], "use the graph it scales (one hidden neuron per vertex), or a size");
    return false;
  }
  return true;
}

/** The graphs a source is made from. */
function operands(source: GraphSource): readonly GraphSource[] {
  switch (source.kind) {
    case "orient":
    case "scalable":
      return [source.graph];
    case "append":
      return [source.bottom, source.top];
    default:
      return [];
  }
}

class GraphBuilder {
  /**
   * Every source built so far, or undefined where it failed (and was
   * reported). A graph declared once and used by name many times is one
   * object in the checked program, so it is built, charged and reported once.
   */
  private readonly built = new Map<GraphSource, RawGraph | undefined>();

  constructor(
    private readonly baseDir: string,
    private readonly budget: Budget,
    private readonly bag: DiagnosticBag,
  ) {}

  /** The graph layered; a cycle or self-loop is reported when `feedForward` (the graph may be a structure), else the graph is left out. */
  layered(graph: CheckedGraph, feedForward: boolean): LayeredGraph | undefined {
    const raw = this.build(graph.source);
    if (raw === undefined) return undefined;
    const loop = graph.source.kind === "edges" ? graph.source.edges.find((e) => e.source === e.target) : undefined;
    if (loop !== undefined) {
      if (feedForward) this.bag.report("DS2019", loop.span, [graph.name, loop.source], "a network cannot feed a neuron into itself (recurrent layers can: rnn(hidden=g))");
      return undefined;
    }
    const result = layerRawGraph(graph.name, raw);
    if ("cycle" in result) {
      if (feedForward) reportCycle(graph, result.cycle, this.bag);
      return undefined;
    }
    return result;
  }

  /** The graph as built, edges as declared (undirected ones once): what a recurrent layer reads. Built once, like every source. */
  raw(graph: CheckedGraph): RawGraph | undefined {
    return this.build(graph.source);
  }

  /** Operands before operations, with a stack rather than recursion: graphs made from graphs by name may chain thousands deep. */
  private build(root: GraphSource): RawGraph | undefined {
    const stack: GraphSource[] = [root];
    while (stack.length > 0) {
      const source = stack.at(-1)!;
      if (this.built.has(source)) {
        stack.pop();
        continue;
      }
      const pending = operands(source).filter((operand) => !this.built.has(operand));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      const inputs = operands(source).map((operand) => this.built.get(operand));
      this.built.set(source, inputs.includes(undefined) ? undefined : this.buildOne(source, inputs as RawGraph[]));
    }
    return this.built.get(root);
  }

  private charge(amounts: Parameters<Budget["charge"]>[0], span: Span): boolean {
    return this.budget.charge(amounts, span, this.bag);
  }

  private buildOne(source: GraphSource, [inner, top]: readonly RawGraph[]): RawGraph | undefined {
    switch (source.kind) {
      case "generator": {
        const { vertices, edges, pairs } = generatedSize(source.generator, source.args);
        if (!this.charge({ vertices, edges, pairs }, source.span)) return undefined;
        const generated = generate(source);
        return { ids: Array.from({ length: generated.order }, (_, i) => i), ...generated };
      }
      case "edges": {
        const raw = fromEdgeList(source);
        return this.charge({ vertices: raw.ids.length, edges: raw.sources.length }, source.span) ? raw : undefined;
      }
      case "file":
        return this.readFile(source);
      case "orient":
        return this.orient(source, inner!);
      case "scalable":
        return this.scalable(source, inner!);
      case "append": {
        const size = appendedSize(inner!, top!);
        return this.charge(size, source.span) ? append(inner!, top!) : undefined;
      }
    }
  }

  private readFile(source: Extract<GraphSource, { kind: "file" }>): RawGraph | undefined {
    const read = readGraphFile(source.path, this.baseDir, this.budget.limits.fileBytes);
    if ("ids" in read) return this.charge({ vertices: read.ids.length, edges: read.sources.length }, source.span) ? read : undefined;
    if (read.kind === "unreadable") this.bag.report("DS2022", source.span, [source.path, read.reason]);
    else if (read.kind === "malformed") this.bag.report("DS2023", source.span, [source.path, read.reason]);
    else this.bag.report("DS2024", source.span, [source.path, read.node], "declare every node an edge refers to");
    return undefined;
  }

  private orient(source: Extract<GraphSource, { kind: "orient" }>, inner: RawGraph): RawGraph | undefined {
    if (inner.directed) {
      this.bag.report("DS2025", source.span, ["orient", "its graph"], "orient undirected graphs only: generators, files without direction, or edges written with '--'");
      return undefined;
    }
    const ids = new Set(inner.ids);
    const missing = source.rule === "bfs" ? source.roots.find((root) => !ids.has(root)) : undefined;
    if (missing !== undefined) {
      this.bag.report("DS2006", source.span, ["roots", "vertices of the graph", missing]);
      return undefined;
    }
    if (!this.charge({ vertices: inner.ids.length, edges: inner.sources.length }, source.span)) return undefined;
    return orient(inner, source.rule, source.roots, source.seed);
  }

  private scalable(source: Extract<GraphSource, { kind: "scalable" }>, inner: RawGraph): RawGraph | undefined {
    const sizes = groupSizes(inner.ids.length, source.scale, source.proportions);
    if (sizes === undefined) {
      const given = source.proportions.kind === "explicit" ? source.proportions.values.length : 0;
      this.bag.report("DS2006", source.span, ["proportions", `one weight per vertex (${inner.ids.length})`, `${given} weights`]);
      return undefined;
    }
    const { limits } = this.budget;
    const neurons = sizes.reduce((sum, size) => sum + size, 0);
    if (!withinLimit(neurons, limits.neurons, "DS2029", "scalable(…)", source.span, this.bag, "neurons")) return undefined;
    let connections = 0;
    for (let e = 0; e < inner.sources.length; e++) connections += sizes[inner.sources[e]!]! * sizes[inner.targets[e]!]!;
    if (!withinLimit(connections, limits.connections, "DS2030", "scalable(…)", source.span, this.bag, "connections")) return undefined;
    return { ...inner, groupSizes: sizes };
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
  const a = oriented(bottom);
  const b = oriented(top);
  const offset = (a.ids.at(-1) ?? -1) + 1;
  const shift = a.ids.length;
  const hasOut = marked(a.ids.length, a.sources);
  const hasIn = marked(b.ids.length, b.targets);
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

/** The vertices and edges `append(bottom, top)` will have, counted before the sink-to-source edges are made. */
export function appendedSize(bottom: RawGraph, top: RawGraph): { vertices: number; edges: number } {
  const sinks = marked(bottom.ids.length, oriented(bottom).sources).reduce((n, out) => n + (out ? 0 : 1), 0);
  const sources = marked(top.ids.length, oriented(top).targets).reduce((n, into) => n + (into ? 0 : 1), 0);
  return { vertices: bottom.ids.length + top.ids.length, edges: bottom.sources.length + top.sources.length + sinks * sources };
}

function oriented(graph: RawGraph): RawGraph {
  return graph.directed ? graph : orient(graph, "index", [], 0);
}

/** 1 at every position the list names. */
function marked(count: number, positions: Uint32Array): Uint8Array {
  const flags = new Uint8Array(count);
  for (const p of positions) flags[p] = 1;
  return flags;
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
    // The last-written edge for each (u, v), found in one pass: the cycle may be as long as the list.
    const latest = new Map<string, Span>();
    for (const edge of source.edges) {
      const key = `${edge.source},${edge.target}`;
      const seen = latest.get(key);
      if (seen === undefined || edge.span.start.offset > seen.start.offset) latest.set(key, edge.span);
    }
    cycle.forEach((u, index) => {
      const span = latest.get(`${u},${cycle[(index + 1) % cycle.length]!}`);
      if (span !== undefined && (!last || span.start.offset > last.span.start.offset)) last = { index, span };
    });
  }
  const start = ((last?.index ?? cycle.length - 1) + 1) % cycle.length;
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  const text = [...rotated, rotated[0]!].join(" -> ");
  bag.report("DS3001", last?.span ?? graph.span, [graph.name, text], "remove one of these edges, or make the graph undirected to let dsc orient it");
}
