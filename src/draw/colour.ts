/**
 * Colours: a trained run's connections in blue (positive) or red (negative),
 * their opacity growing with |weight| relative to the largest; a .ds file's
 * in plain grey, since its weights are only an initialisation. Aggregated
 * edges have no sign: their opacity follows the RMS weight, their width the
 * block's density.
 */
import type { SceneEdge } from "./scene.js";

const POSITIVE = "#2166ac";
const NEGATIVE = "#b2182b";
const PLAIN = "#666666";
// Plain pictures tell skip connections apart by hue; weighted ones need hue for the sign.
const PLAIN_SKIP = "#7b3294";

export interface EdgeStyle {
  readonly stroke: string;
  readonly opacity: number;
  readonly width: number;
}

/** `maxAbs` is the largest |weight| (or RMS) of the picture, undefined for a plain one. */
export function edgeStyle(edge: SceneEdge, order: number, maxAbs: number | undefined, skip: boolean): EdgeStyle {
  if (order === 0) {
    const weight = edge.weight ?? 0;
    if (maxAbs === undefined) return { stroke: skip ? PLAIN_SKIP : PLAIN, opacity: skip ? 0.6 : 0.45, width: skip ? 1.1 : 0.8 };
    return { stroke: weight < 0 ? NEGATIVE : POSITIVE, opacity: 0.12 + 0.88 * (Math.abs(weight) / maxAbs), width: 1 };
  }
  const width = 1 + 3 * Math.sqrt(edge.density ?? 0);
  if (maxAbs === undefined) return { stroke: skip ? PLAIN_SKIP : PLAIN, opacity: 0.6, width };
  return { stroke: "#444444", opacity: 0.2 + 0.8 * ((edge.rms ?? 0) / maxAbs), width };
}

/** Inputs, hidden neurons and outputs apart at a glance. */
export function neuronFill(column: number, columns: number): string {
  if (column === 0) return "#7f7f7f";
  return column === columns - 1 ? "#e08214" : "#1b1b1b";
}
