import type { LayeredGraph } from "./program.js";

/**
 * A layered graph as GraphML: directed, vertices in ascending id with their
 * layer (and neuron count) as data, edges in ascending (source, target). The
 * same graph always gives the same text, and `file("…graphml")` reads it back.
 */
export function writeGraphml(graph: LayeredGraph): string {
  const vertices = [...graph.depthOf].sort((a, b) => a[0] - b[0]);
  const edges = graph.graph
    .mapEdges((_edge, _attributes, s, t) => [Number(s), Number(t)] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    '  <key id="layer" for="node" attr.name="layer" attr.type="int"/>',
    '  <key id="neurons" for="node" attr.name="neurons" attr.type="int"/>',
    `  <graph id="${escapeXml(graph.name)}" edgedefault="directed">`,
    ...vertices.map(
      ([id, depth]) => `    <node id="${id}"><data key="layer">${depth}</data><data key="neurons">${graph.groupSizes?.get(id) ?? 1}</data></node>`,
    ),
    ...edges.map(([s, t]) => `    <edge source="${s}" target="${t}"/>`),
    "  </graph>",
    "</graphml>",
    "",
  ].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}
