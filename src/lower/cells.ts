/**
 * A cell network as the runtime runs it (runtime/cells/spec.ts): one cell
 * per vertex of the structure's layered graph, vertices depth by depth (a
 * topological order), each reading its in-neighbours in ascending order;
 * the cell's layers named `cell${vertex}.${layer}`, each conv of a vertex
 * of a scalable graph as wide as that vertex's group; the head a 1×1 conv,
 * batch norm and global average pool. Shapes are checked here, per vertex,
 * since they depend on the graph: a misfit is reported at the cell's layer.
 */
import type { CheckedCells } from "../check/cells.js";
import type { CheckedNetwork } from "../check/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { LayeredGraph } from "../elaborate/program.js";
import { cellShapes } from "../../runtime/cells/shapes.js";
import type { CellNetworkSpec, CellVertexSpec } from "../../runtime/cells/spec.js";
import { featureShapes, type ChannelsFirst } from "../../runtime/features/shapes.js";
import type { FeatureLayerSpec } from "../../runtime/spec.js";
import { lowerFeatures } from "./features.js";

function headLayers(channels: number): FeatureLayerSpec[] {
  return [
    { kind: "conv", name: "head.conv", channels, kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: "valid", activate: false },
    { kind: "batchNorm", name: "head.bn", momentum: 0.1, epsilon: 1e-5, activate: true },
    { kind: "globalAvgPool", name: "head.gap" },
  ];
}

function vertexCell(cells: CheckedCells, graph: LayeredGraph, vertex: number): CellVertexSpec {
  const width = graph.groupSizes?.get(vertex);
  const layers = lowerFeatures(cells.cell.layers).map((layer): FeatureLayerSpec => {
    const name = `cell${vertex}.${layer.name}`;
    return layer.kind === "conv" && width !== undefined ? { ...layer, name, channels: width } : { ...layer, name };
  });
  const inputs = graph.graph
    .inNeighbors(String(vertex))
    .map(Number)
    .sort((a, b) => a - b);
  return { vertex, inputs, layers };
}

/** The shape the cells read: the feature layers' output, or the input. */
function stemOutput(network: CheckedNetwork, stem: readonly FeatureLayerSpec[]): ChannelsFirst {
  const result = featureShapes(network.inputShape as unknown as ChannelsFirst, stem);
  if (!("shapes" in result)) throw new Error(`lower: the feature layers of '${network.name}' were checked but do not fit`);
  return result.shapes.at(-1)!;
}

/** Every layer of the cell network, cells in order and then the head. */
export function cellLayers(cells: CellNetworkSpec): FeatureLayerSpec[] {
  return [...cells.vertices.flatMap((v) => v.layers), ...cells.head];
}

/** Each conv's input channels, from the cell network's shapes over the stem's output. */
export function cellInputChannels(network: CheckedNetwork, stem: readonly FeatureLayerSpec[], cells: CellNetworkSpec): Map<string, number> {
  const shapes = cellShapes(stemOutput(network, stem), cells);
  if (!("head" in shapes)) throw new Error("lower: cell shapes were checked");
  const channels = new Map<string, number>();
  const add = (layers: readonly FeatureLayerSpec[], shapesOf: readonly (readonly [number, number, number])[]): void =>
    layers.forEach((layer, i) => layer.kind === "conv" && channels.set(layer.name, shapesOf[i]![0]));
  for (const v of cells.vertices) add(v.layers, shapes.vertices.get(v.vertex)!);
  add(cells.head, shapes.head);
  return channels;
}

/** `cells` with its layers replaced, in `cellLayers` order, by `layers` (the same layers with their masks). */
export function withCellLayers(cells: CellNetworkSpec, layers: readonly FeatureLayerSpec[]): CellNetworkSpec {
  let next = 0;
  const take = (count: number): FeatureLayerSpec[] => layers.slice(next, (next += count));
  const vertices = cells.vertices.map((v) => ({ ...v, layers: take(v.layers.length) }));
  return { ...cells, vertices, head: take(cells.head.length) };
}

/** The network's cell network and layer 0's size (the head's channels), or undefined after reporting a shape that does not fit. */
export function lowerCells(
  network: CheckedNetwork,
  cells: CheckedCells,
  stem: readonly FeatureLayerSpec[],
  graphs: ReadonlyMap<string, LayeredGraph>,
  bag: DiagnosticBag,
): CellNetworkSpec | undefined {
  const graph = graphs.get(cells.graph);
  if (graph === undefined) throw new Error(`lower: graph '${cells.graph}' was checked but not elaborated`);
  const vertices = graph.layers.flat().map((vertex) => vertexCell(cells, graph, vertex));
  const spec: CellNetworkSpec = { graph: cells.graph, vertices, head: headLayers(cells.head) };
  const shapes = cellShapes(stemOutput(network, stem), spec);
  if ("head" in shapes) return spec;
  if (shapes.vertex === "head") throw new Error("lower: a 1×1 conv and a global pool fit any map");
  const written = cells.cell.layers[shapes.layer]!;
  const what = spec.vertices.find((v) => v.vertex === shapes.vertex)!.layers[shapes.layer]!.name.split(".")[1]!;
  bag.report(
    "DS2075",
    written.span,
    [what, cells.cell.name, shapes.vertex, cells.graph, shapes.problem.message],
    "pool less inside the cell, or pool in the feature layers in front instead",
  );
  return undefined;
}
