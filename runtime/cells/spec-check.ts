/** The runtime's check of a spec's cell network (from a generated module or a file) before anything is built. */
import { layerProblem } from "../features/spec-check.js";
import { mapSize, type ChannelsFirst } from "../features/shapes.js";
import type { FeatureLayerSpec } from "../spec.js";
import { cellShapes } from "./shapes.js";
import type { CellNetworkSpec } from "./spec.js";

function checkLayers(layers: unknown, where: string, names: Set<string>, fail: (message: string) => never): void {
  if (!Array.isArray(layers)) fail(`${where} needs a list of layers`);
  (layers as FeatureLayerSpec[]).forEach((layer, i) => {
    if (typeof layer?.name !== "string" || names.has(layer.name)) fail(`${where}: layer ${i} has a missing or repeated name`);
    names.add(layer.name);
    const problem = layerProblem(layer);
    if (problem !== undefined) fail(`${where}: layer '${layer.name}' ${problem}`);
  });
}

/** Vertices numbered once each, every input an earlier vertex (so the order is topological and there is no cycle). */
function checkOrder(cells: CellNetworkSpec, fail: (message: string) => never): void {
  const seen = new Set<number>();
  for (const cell of cells.vertices) {
    if (!Number.isInteger(cell?.vertex) || seen.has(cell.vertex)) fail(`cell network: vertex ${String(cell?.vertex)} is missing a number or appears twice`);
    if (!Array.isArray(cell.inputs)) fail(`cell ${cell.vertex} needs a list of inputs`);
    for (const u of cell.inputs) if (!seen.has(u)) fail(`cell ${cell.vertex} reads vertex ${u}, which does not come before it`);
    seen.add(cell.vertex);
  }
}

/**
 * The size of layer 0 after a cell network over `input` (the stem's output
 * or the network's input): the head's pooled channels. `names` holds the
 * feature layers' names so far; cell layers must not repeat them.
 */
export function expectedCellOutputSize(cells: CellNetworkSpec, input: ChannelsFirst, names: Set<string>, fail: (message: string) => never): number {
  if (cells === null || typeof cells !== "object" || !Array.isArray(cells.vertices) || cells.vertices.length === 0) fail("cells needs a non-empty list of vertices");
  checkOrder(cells, fail);
  for (const cell of cells.vertices) checkLayers(cell.layers, `cell ${cell.vertex}`, names, fail);
  checkLayers(cells.head, "the cell network's head", names, fail);
  const shapes = cellShapes(input, cells);
  if (!("head" in shapes)) fail(`${shapes.vertex === "head" ? "the head" : `cell ${shapes.vertex}`}, layer ${shapes.layer}: ${shapes.problem.message}`);
  return mapSize(shapes.head.at(-1)!);
}
