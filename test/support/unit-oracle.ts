/** Brute-force pruning units, straight from their definitions (runtime/pruning/units.ts is what the tests hold to them). */
import type { Model } from "../../runtime/index.js";
import { readWeights, type PrunableWeight } from "../../runtime/pruning/weights.js";

export type OracleUnit = "kernel" | "channel" | "neuron" | "gate" | "layer";

/** The unit of entry (row-major) of a weight, by its coordinates. */
export function unitOfEntry(unit: OracleUnit, w: PrunableWeight, entry: number): number {
  const columns = w.shape.at(-1)!;
  const column = entry % columns;
  if (unit === "layer") return 0;
  if (unit === "kernel") return (Math.floor(entry / columns) % w.shape[2]!) * columns + column;
  // A recurrent column is gate · hidden + neuron.
  if (unit === "gate") return Math.floor(column / w.neurons);
  // channel: the output channel; neuron: the target neuron.
  return w.kind === "recurrent" ? column % w.neurons : column;
}

/** Every live unit of `weights` as `${layer}#${unit}`, in the order pruning ranks them: Σ|w| of its live entries, then layer order, then unit number. */
export function rankedUnits(model: Model, unit: OracleUnit, weights: readonly PrunableWeight[]): string[] {
  const sums = new Map<string, { s: number; layer: number; u: number }>();
  const layers = [...new Set(weights.map((w) => w.layer))];
  for (const w of weights) {
    const values = readWeights(model, w);
    model.getMask(w.name).forEach((m, i) => {
      if (m === 0) return;
      const u = unitOfEntry(unit, w, i);
      const key = `${w.layer}#${u}`;
      const known = sums.get(key) ?? { s: 0, layer: layers.indexOf(w.layer), u };
      known.s += Math.abs(values[i]!);
      sums.set(key, known);
    });
  }
  return [...sums].sort(([, a], [, b]) => a.s - b.s || a.layer - b.layer || a.u - b.u).map(([key]) => key);
}
