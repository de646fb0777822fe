/** The runtime's check of a spec's feature layers (data from a generated module or a file) before anything is built. */
import type { FeatureLayerSpec, NetworkSpec } from "../spec.js";
import { featureShapes, mapSize, type ChannelsFirst } from "./shapes.js";
import { expectedCellOutputSize } from "../cells/spec-check.js";

const KINDS = new Set(["conv", "maxPool", "avgPool", "globalAvgPool", "batchNorm"]);

function isPair(value: unknown): boolean {
  return Array.isArray(value) && value.length === 2 && value.every((d) => Number.isInteger(d) && d >= 1);
}

export function layerProblem(layer: FeatureLayerSpec): string | undefined {
  if (!KINDS.has(layer.kind)) return `has unknown kind '${String(layer.kind)}'`;
  if (layer.kind === "globalAvgPool") return undefined;
  if (layer.kind === "batchNorm") {
    const fine = layer.momentum >= 0 && layer.momentum <= 1 && layer.epsilon > 0;
    return fine ? undefined : `has momentum ${layer.momentum} and epsilon ${layer.epsilon}; momentum must be in [0, 1] and epsilon positive`;
  }
  if (layer.padding !== "same" && layer.padding !== "valid") return `has padding '${String(layer.padding)}'; it must be 'same' or 'valid'`;
  const pairs = layer.kind === "conv" ? [layer.kernel, layer.stride, layer.dilation] : [layer.size, layer.stride];
  if (!pairs.every(isPair)) return "needs its window's size, stride (and dilation) as [rows, cols] of positive integers";
  if (layer.kind === "conv" && !(Number.isInteger(layer.channels) && layer.channels >= 1)) return `has ${layer.channels} channels`;
  return undefined;
}

/**
 * The size layer 0 must have: the flattened output of the feature layers
 * (or of the cell network's head after them), or the input's size without
 * them. Calls `fail` for a malformed feature layer or cell network.
 */
export function expectedInputSize(spec: NetworkSpec, fail: (message: string) => never): number {
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  if (spec.features === undefined && spec.cells === undefined) return size;
  const features = spec.features ?? [];
  if (!Array.isArray(features)) fail("features must be a list");
  if (spec.inputShape.length !== 3) fail(`feature layers need an input [channels, height, width], got [${spec.inputShape.join(", ")}]`);
  const names = new Set<string>();
  features.forEach((layer, i) => {
    if (typeof layer?.name !== "string" || names.has(layer.name)) fail(`feature layer ${i} has a missing or repeated name`);
    names.add(layer.name);
    const problem = layerProblem(layer);
    if (problem !== undefined) fail(`feature layer '${layer.name}' ${problem}`);
  });
  const result = featureShapes(spec.inputShape as unknown as ChannelsFirst, features);
  if (!("shapes" in result)) fail(`feature layer '${features[result.layer]!.name}': ${result.problem.message}`);
  if (spec.cells !== undefined) return expectedCellOutputSize(spec.cells, result.shapes.at(-1)!, names, fail);
  return mapSize(result.shapes.at(-1)!);
}
