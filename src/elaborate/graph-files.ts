import type { AbstractGraph } from "graphology-types";
import { write as writeGexf } from "graphology-gexf";
import { DirectedGraph } from "graphology";
import type { LayeredGraph } from "./program.js";

export type GraphFormat = "graphml" | "gexf" | "json";

export const GRAPH_FORMATS: readonly GraphFormat[] = ["graphml", "gexf", "json"];

type AnyGraph = AbstractGraph;

/**
 * A graphology graph as text, with its vertex and edge attributes: GraphML
 * (keys typed from the values: int, double, boolean or string), GEXF (by
 * graphology-gexf) or JSON (`{ directed, nodes: [{ id, … }], edges: [{ source,
 * target, … }] }`). Vertices and edges keep the graph's order, so the same
 * graph gives the same text; `file(...)` reads all three back.
 */
export function writeGraph(graph: AnyGraph, format: GraphFormat, name = "graph"): string {
  switch (format) {
    case "gexf":
      return writeGexf(graph);
    case "json":
      return `${JSON.stringify(
        {
          directed: graph.type === "directed",
          nodes: graph.mapNodes((id, attributes) => ({ id, ...attributes })),
          edges: graph.mapEdges((_edge, attributes, source, target) => ({ source, target, ...attributes })),
        },
        null,
        2,
      )}\n`;
    case "graphml":
      return graphml(graph, name);
  }
}

/** A layered graph as GraphML, each vertex with its layer and neuron count, in ascending id. */
export function writeGraphml(layered: LayeredGraph): string {
  const graph = new DirectedGraph();
  for (const [id, depth] of [...layered.depthOf].sort((a, b) => a[0] - b[0])) {
    graph.addNode(String(id), { layer: depth, neurons: layered.groupSizes?.get(id) ?? 1 });
  }
  layered.graph
    .mapEdges((_edge, _attributes, s, t) => [Number(s), Number(t)] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .forEach(([s, t]) => graph.addEdge(String(s), String(t)));
  return graphml(graph, layered.name);
}

function graphml(graph: AnyGraph, name: string): string {
  const keys = [
    ...attributeTypes(
      graph.mapNodes((_n, a) => a),
      "node",
    ),
    ...attributeTypes(
      graph.mapEdges((_e, a) => a),
      "edge",
    ),
  ];
  const data = (kind: "node" | "edge", attributes: Record<string, unknown>): string =>
    Object.entries(attributes)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `<data key="${kind === "node" ? "v" : "e"}_${escapeXml(key)}">${escapeXml(String(value))}</data>`)
      .join("");
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ...keys.map((k) => `  <key id="${k.kind === "node" ? "v" : "e"}_${escapeXml(k.name)}" for="${k.kind}" attr.name="${escapeXml(k.name)}" attr.type="${k.type}"/>`),
    `  <graph id="${escapeXml(name)}" edgedefault="${graph.type === "directed" ? "directed" : "undirected"}">`,
    ...graph.mapNodes((id, attributes) => element("node", `id="${escapeXml(id)}"`, data("node", attributes))),
    ...graph.mapEdges((_edge, attributes, s, t) => element("edge", `source="${escapeXml(s)}" target="${escapeXml(t)}"`, data("edge", attributes))),
    "  </graph>",
    "</graphml>",
    "",
  ].join("\n");
}

function element(tag: string, attributes: string, content: string): string {
  return content === "" ? `    <${tag} ${attributes}/>` : `    <${tag} ${attributes}>${content}</${tag}>`;
}

/** Every attribute name with the narrowest GraphML type that holds all its values, in order of first appearance. */
function attributeTypes(all: readonly Record<string, unknown>[], kind: "node" | "edge"): { name: string; kind: "node" | "edge"; type: string }[] {
  const types = new Map<string, string>();
  const rank = ["boolean", "int", "double", "string"];
  for (const attributes of all) {
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      const type = typeof value === "boolean" ? "boolean" : typeof value === "number" ? (Number.isInteger(value) ? "int" : "double") : "string";
      const known = types.get(name);
      types.set(name, known === undefined || rank.indexOf(type) > rank.indexOf(known) ? type : known);
    }
  }
  return [...types].map(([name, type]) => ({ name, kind, type }));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}
