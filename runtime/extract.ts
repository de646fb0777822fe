/**
 * Reading a model's structure back out as a graph, at three orders:
 *
 * - order 0: every neuron a vertex, every live connection an edge carrying
 *   its weight;
 * - order 1: every neuron group a vertex — a graph vertex of a structure
 *   (all the neurons a scalable family gave it), a single neuron elsewhere —
 *   and an edge wherever live connections join two groups, carrying their
 *   count and the L2 norm of their weights;
 * - order 2: every layer a vertex, every block with live connections an
 *   edge, carrying the same count and norm.
 *
 * Vertex keys keep the source graph's numbering: a neuron (order 0) or group
 * (order 1) that stands for graph vertex v is keyed `v`; every other vertex is
 * keyed `LAYER:INDEX` (`input:3`, `dense1:0`, `output:9`), and layers (order 2)
 * by their names. Vertex attributes: `layer`, `index`, `kind` (input, hidden,
 * output), `size` (neurons) and `vertex` where there is one.
 */
import { DirectedGraph } from "graphology";
import { addFeatureGraph } from "./features/extract.js";
import { addRecurrentGraph } from "./recurrent/extract.js";
import { addCellGraph } from "./cells/extract.js";
import type { LayerInfo, Model } from "./model.js";
import { connectionsOfGraph, kept, listConnections, thresholdOf } from "./extract-connections.js";
import type { ConnectionList, ExtractedGraph, ExtractionOrder, ExtractOptions } from "./extract-types.js";

/**
 * Order 0 as typed arrays. Dense and recurrent models are read straight into
 * them; a model with feature layers or cells goes through its order-0 graph
 * (the receptive fields are worked out once, in features/extract.ts).
 */
export function extractConnections(model: Model, options: Omit<ExtractOptions, "order"> = {}): ConnectionList {
  if (model.features.length === 0) return listConnections(model, options);
  return connectionsOfGraph(extractGraph(model, { ...options, order: 0 }));
}
export type { ConnectionList, ExtractedEdge, ExtractedGraph, ExtractedVertex, ExtractionOrder, ExtractOptions } from "./extract-types.js";

export function extractGraph(model: Model, options: ExtractOptions): ExtractedGraph {
  if (options === null || typeof options !== "object") throw new Error(`${model.name}.extractGraph: expected options { order: 0 | 1 | 2, … }, got ${String(options)}`);
  const order = options.order;
  if (order !== 0 && order !== 1 && order !== 2) throw new Error(`${model.name}.extractGraph: order must be 0, 1 or 2, got ${String(order)}`);
  const threshold = thresholdOf(model, options.threshold);
  const keep = (layer: LayerInfo): boolean => kept(layer, options);

  const graph: ExtractedGraph = new DirectedGraph();
  const layers = new Map(model.layers.map((layer) => [layer.name, layer]));
  // Per layer, the vertex key of each neuron at this order (none for the input when it is left out).
  const keys = new Map<string, readonly (string | undefined)[]>();
  const single = structureInstances(model.layers).size <= 1;
  for (const layer of model.layers) {
    if (layer.kind === "input" && model.spec.cells !== undefined) {
      // Layer 0 is the cell network's head: its cells are order 2's vertices.
      keys.set(layer.name, addCellGraph(model, graph, model.spec.cells, { order, threshold, includeInputs: options.includeInputs !== false }));
      continue;
    }
    if (layer.kind === "input" && model.features.length > 0) {
      // Layer 0 is the last feature map: its neurons are that map's vertices.
      keys.set(layer.name, addFeatureGraph(model, graph, { order, threshold, includeInputs: options.includeInputs !== false }).keys);
      continue;
    }
    if (layer.kind === "input" && model.recurrent.length > 0) {
      // Layer 0 is the recurrent stack's output: its neurons are the last recurrent layer's (or every step's of them).
      keys.set(layer.name, addRecurrentGraph(model, graph, { order, threshold, includeInputs: options.includeInputs !== false }));
      continue;
    }
    if (!keep(layer)) continue;
    const layerKeys = neuronKeys(layer, order, single);
    keys.set(layer.name, layerKeys);
    layerKeys.forEach((key, index) => {
      if (graph.hasNode(key)) {
        graph.updateNodeAttribute(key, "size", (size) => (size ?? 0) + 1);
        return;
      }
      const vertex = layer.vertices?.[index];
      graph.addNode(key, {
        layer: layer.name,
        index: order === 2 ? 0 : index,
        kind: layer.kind,
        size: 1,
        ...(vertex !== undefined && order !== 2 ? { vertex } : {}),
      });
    });
  }

  for (const block of model.blocks) {
    const sourceKeys = keys.get(block.source);
    const targetKeys = keys.get(block.target);
    if (!sourceKeys || !targetKeys || !layers.has(block.source)) continue;
    const mask = model.getMask(block.name);
    const weights = model.getWeights(block.name);
    const cols = block.targetSize;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) continue;
      const w = weights[i]!;
      if (Math.abs(w) <= threshold) continue;
      const source = sourceKeys[Math.floor(i / cols)];
      const target = targetKeys[i % cols]!;
      if (source === undefined) continue;
      if (order === 0) {
        graph.addEdge(source, target, { weight: w });
      } else {
        const edge = graph.edge(source, target);
        if (edge === undefined) graph.addEdge(source, target, { connections: 1, norm: w * w });
        else graph.updateEdgeAttributes(edge, (a) => ({ connections: (a.connections ?? 0) + 1, norm: (a.norm ?? 0) + w * w }));
      }
    }
  }
  if (order !== 0) graph.updateEachEdgeAttributes((_edge, a) => ({ ...a, norm: Math.sqrt(a.norm ?? 0) }));
  return graph;
}

/**
 * Structures a model holds: layers `GRAPH.dD` belong to structure `GRAPH`, and
 * a second use of the same graph makes layers `GRAPH.dD#2`.
 */
function structureInstances(layers: readonly LayerInfo[]): Set<string> {
  return new Set(layers.filter((layer) => layer.vertices !== undefined).map(instanceOf));
}

function instanceOf(layer: LayerInfo): string {
  const match = /^(.*)\.d\d+(#\d+)?$/.exec(layer.name);
  return match ? `${match[1]}${match[2] ?? ""}` : layer.name;
}

/**
 * Order 0 and 1 key a graph-derived neuron by its vertex id — prefixed with
 * its structure when the model holds several, so two uses of a graph never
 * merge — unless a group makes several neurons share the vertex at order 0.
 */
function neuronKeys(layer: LayerInfo, order: ExtractionOrder, singleStructure: boolean): string[] {
  if (order === 2) return new Array<string>(layer.size).fill(layer.name);
  const vertices = layer.vertices;
  const grouped = vertices !== undefined && new Set(vertices).size !== vertices.length;
  return Array.from({ length: layer.size }, (_, index) => {
    const vertex = vertices?.[index];
    if (vertex === undefined || (grouped && order === 0)) return `${layer.name}:${index}`;
    return singleStructure ? String(vertex) : `${instanceOf(layer)}/${vertex}`;
  });
}
