/**
 * The mask a weight's structure allows, as the spec gives it (before any
 * pruning, sparse start or growth): a dense block's `mask`, a conv's `mask`
 * (stem, cells and head alike, row-major HWIO), a recurrent layer's
 * `masks[i].input` / `.hidden` (a graph-made hidden weight keeps to its
 * graph). Absent means full. Growth regrows only within it.
 */
import type { FeatureLayerSpec, NetworkSpec } from "../spec.js";
import type { PrunableWeight } from "../pruning/weights.js";
import { recurrentNames } from "../recurrent/shapes.js";
import { decodeMask, FULL_MASK } from "./codec.js";

function convSpecs(spec: NetworkSpec): FeatureLayerSpec[] {
  const cells = spec.cells === undefined ? [] : [...spec.cells.vertices.flatMap((v) => v.layers), ...spec.cells.head];
  return [...(spec.features ?? []), ...cells];
}

/** The encoded structural mask of `weight`, undefined when full. */
function encodedStructure(spec: NetworkSpec, weight: PrunableWeight): string | undefined {
  if (weight.kind === "dense") return spec.blocks.find((b) => b.name === weight.name)?.mask;
  if (weight.kind === "conv") {
    const layer = convSpecs(spec).find((l) => l.name === weight.name);
    return layer?.kind === "conv" ? layer.mask : undefined;
  }
  const layers = spec.recurrent === undefined ? [] : recurrentNames(spec.recurrent);
  const index = layers.indexOf(weight.layer);
  const which = weight.name.endsWith(".hidden") ? "hidden" : "input";
  return spec.recurrent?.masks?.[index]?.[which];
}

/** 1 where `weight`'s structure has an entry, row-major in its mask's shape. */
export function structuralMask(spec: NetworkSpec, weight: PrunableWeight): Uint8Array {
  const encoded = encodedStructure(spec, weight);
  return decodeMask(encoded ?? FULL_MASK, weight.size);
}
