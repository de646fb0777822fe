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
