import { closeSync, openSync, readSync, statSync } from "node:fs";
import { DEFAULT_LIMITS, formatCount, MAX_VERTEX_ID } from "../check/limits.js";
import { extname, resolve } from "node:path";
import { DOMParser } from "@xmldom/xmldom";
import * as graphology from "graphology";
import type { GraphConstructor } from "graphology-types";
import { parse as parseGexf } from "graphology-gexf";
import { readGraphml } from "./graphml.js";
import type { RawGraph } from "./raw-graph.js";

/** Why a graph file cannot be used; elaborate turns it into a diagnostic at the `file(...)` call. */
export type GraphFileProblem =
  { readonly kind: "unreadable"; readonly reason: string } | { readonly kind: "malformed"; readonly reason: string } | { readonly kind: "unknown-node"; readonly node: string };

/**
 * Reads a graph file: GraphML (`.graphml`, by graphml.ts), GEXF (`.gexf`,
 * through graphology's reader) or a JSON edge list (`.json`). Vertices become
 * integers by one rule: if every node id is a non-negative integer, it keeps
 * that number; otherwise nodes are numbered 0, 1, … in the order the file
 * first mentions them. Directedness is the file's (GraphML `edgedefault`,
 * GEXF `defaultedgetype`, JSON `"directed"`; undirected when unsaid).
 */
export function readGraphFile(path: string, baseDir: string, maxBytes = DEFAULT_LIMITS.fileBytes): RawGraph | GraphFileProblem {
  const format = extname(path).toLowerCase();
  const read = readTextFile(resolve(baseDir, path), format === ".gexf" ? Math.floor(maxBytes / GEXF_COST) : maxBytes);
  if (typeof read !== "string") return { kind: "unreadable", reason: read.reason };
  const text = read;
  try {
    if (format === ".json") return fromJson(text);
    if (format === ".graphml") return fromGraphml(text);
    if (format === ".gexf") return fromGexf(text);
    return { kind: "unreadable", reason: `unknown format '${format || "(no extension)"}'; use .graphml, .gexf or .json` };
  } catch (error) {
    return { kind: "malformed", reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * GEXF goes through a DOM (twice: once here for errors, once in
 * graphology-gexf), about 16 times the time and memory per byte of the
 * one-pass GraphML and JSON readers, so its files may be that much smaller.
 */
const GEXF_COST = 16;

/**
 * A file's text, read only if it is a regular file of at most `maxBytes`
 * bytes: `/dev/zero`, a FIFO or a huge file would otherwise be read until
 * memory runs out.
 */
export function readTextFile(full: string, maxBytes: number): string | { readonly reason: string } {
  const tooLarge = { reason: `it has more than ${formatCount(maxBytes)} bytes, the limit` };
  try {
    const stats = statSync(full);
    if (!stats.isFile()) return { reason: `it is not a regular file (${full})` };
    if (stats.size > maxBytes) return tooLarge;
    // Read in chunks up to the limit: a file can grow after stat, and files under /proc say they are empty.
    const fd = openSync(full, "r");
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.alloc(1 << 20);
        const count = readSync(fd, chunk, 0, chunk.length, null);
        if (count === 0) return Buffer.concat(chunks, total).toString("utf8");
        total += count;
        if (total > maxBytes) return tooLarge;
        chunks.push(chunk.subarray(0, count));
      }
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { reason: code === "ENOENT" ? `no such file (looked for ${full})` : (error as Error).message };
  }
}

function fromGraphml(text: string): RawGraph | GraphFileProblem {
  const { nodes, edges, directed } = readGraphml(text);
  const declared = new Set(nodes);
  for (const [source, target] of edges) for (const node of [source, target]) if (!declared.has(node)) return { kind: "unknown-node", node };
  return relabel(nodes, edges, directed);
}

function fromGexf(text: string): RawGraph | GraphFileProblem {
  const errors: string[] = [];
  const document = new DOMParser({ onError: (level: string, message: string) => void (level !== "warning" && errors.push(message)) }).parseFromString(text, "application/xml");
  if (errors.length > 0) return { kind: "malformed", reason: errors[0]!.replace(/\s+/g, " ").trim() };
  if (document.getElementsByTagName("graph").length === 0) return { kind: "malformed", reason: "it has no <graph> element" };
  const declared = new Set<string>();
  const nodes = document.getElementsByTagName("node");
  for (let i = 0; i < nodes.length; i++) declared.add(nodes[i]!.getAttribute("id") ?? "");
  const edges = document.getElementsByTagName("edge");
  for (let i = 0; i < edges.length; i++) {
    for (const end of ["source", "target"]) {
      const node = edges[i]!.getAttribute(end);
      if (node === null || !declared.has(node)) return { kind: "unknown-node", node: node ?? "(none)" };
    }
  }
  // graphology's CommonJS export is the Graph class, which also carries itself as
  // `.Graph`; its typings declare only a default export, which Node never sees.
  const Graph = (graphology as unknown as { Graph: GraphConstructor }).Graph;
  const graph = parseGexf(Graph, text);
  if (graph.type === "mixed") return { kind: "malformed", reason: "it mixes directed and undirected edges" };
  const keys = graph.nodes();
  const pairs = graph.mapEdges((_edge, _attributes, source, target) => [source, target] as const);
  return relabel(keys, pairs, graph.type === "directed");
}

/**
 * `{ "directed"?: boolean, "nodes"?: [id | { "id" }, …], "edges": [[source, target] | { "source", "target" }, …] }`,
 * or just the list of edges (what `writeGraph(…, "json")` writes reads back).
 */
function fromJson(text: string): RawGraph | GraphFileProblem {
  const document = JSON.parse(text) as unknown;
  const body = Array.isArray(document) ? { edges: document } : (document as { directed?: unknown; nodes?: unknown; edges?: unknown });
  if (body === null || typeof body !== "object" || !Array.isArray(body.edges))
    return { kind: "malformed", reason: 'expected { "edges": [[source, target], …] } or a list of edges' };
  const id = (value: unknown, where: string): string => {
    if (typeof value === "number" || typeof value === "string") return String(value);
    throw new Error(`${where} is not a node id (a number or a string)`);
  };
  const pairs = body.edges.map((edge: unknown, i): readonly [string, string] => {
    if (Array.isArray(edge) && edge.length === 2) return [id(edge[0], `edges[${i}][0]`), id(edge[1], `edges[${i}][1]`)];
    if (edge !== null && typeof edge === "object" && "source" in edge && "target" in edge) {
      return [id(edge.source, `edges[${i}].source`), id(edge.target, `edges[${i}].target`)];
    }
    throw new Error(`edges[${i}] is neither a pair [source, target] nor { "source", "target" }`);
  });
  let keys: string[];
  if (Array.isArray(body.nodes)) {
    keys = body.nodes.map((node: unknown, i) => id(node !== null && typeof node === "object" && "id" in node ? node.id : node, `nodes[${i}]`));
    const known = new Set(keys);
    const unknown = pairs.flat().find((node) => !known.has(node));
    if (unknown !== undefined) return { kind: "unknown-node", node: unknown };
  } else {
    keys = [...new Set(pairs.flat())];
  }
  if (body.directed !== undefined && typeof body.directed !== "boolean") return { kind: "malformed", reason: '"directed" must be true or false' };
  return relabel(keys, pairs, body.directed === true);
}

function relabel(keys: readonly string[], pairs: readonly (readonly [string, string])[], directed: boolean): RawGraph | GraphFileProblem {
  const numeric = keys.every((key) => /^\d+$/.test(key));
  const tooLarge = numeric ? keys.find((key) => Number(key) > MAX_VERTEX_ID) : undefined;
  if (tooLarge !== undefined) return { kind: "malformed", reason: `node id ${tooLarge.length > 20 ? `${tooLarge.slice(0, 20)}…` : tooLarge} is above ${MAX_VERTEX_ID}` };
  const idOf = new Map(keys.map((key, i) => [key, numeric ? Number(key) : i]));
  const ids = [...idOf.values()].sort((a, b) => a - b);
  const position = new Map(ids.map((id, i) => [id, i]));
  const seen = new Set<string>();
  const sources: number[] = [];
  const targets: number[] = [];
  for (const [s, t] of pairs) {
    const u = position.get(idOf.get(s)!)!;
    const v = position.get(idOf.get(t)!)!;
    // A self-loop is kept: a recurrent layer takes it; a structure refuses it as a cycle (DS3001).
    const key = directed ? `${u},${v}` : `${Math.min(u, v)},${Math.max(u, v)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sources.push(u);
    targets.push(v);
  }
  return { ids, sources: Uint32Array.from(sources), targets: Uint32Array.from(targets), directed };
}
