import type { GeneratorName } from "./program.js";
import type { ValueKind } from "./values.js";

/** A generator parameter: its kind, its allowed range and its default (absent: required). */
export interface ParameterRule {
  readonly name: string;
  readonly kind: ValueKind;
  readonly min?: number;
  readonly max?: number;
  readonly default?: number | boolean;
}

/**
 * The graph generators the language knows, with their parameters in networkx's
 * order and names, so `watts_strogatz(100, 4, 0.5)` means what it means there.
 */
export const generatorRules: Record<GeneratorName, readonly ParameterRule[]> = {
  balanced_tree: [
    { name: "r", kind: "integer", min: 1 },
    { name: "h", kind: "integer", min: 0 },
  ],
  grid_2d: [
    { name: "rows", kind: "integer", min: 1 },
    { name: "cols", kind: "integer", min: 1 },
    { name: "periodic", kind: "boolean", default: false },
  ],
  watts_strogatz: [
    { name: "n", kind: "integer", min: 1 },
    { name: "k", kind: "integer", min: 0 },
    { name: "p", kind: "number", min: 0, max: 1 },
    { name: "seed", kind: "integer", min: 0, default: 0 },
  ],
  erdos_renyi: [
    { name: "n", kind: "integer", min: 1 },
    { name: "p", kind: "number", min: 0, max: 1 },
    { name: "seed", kind: "integer", min: 0, default: 0 },
  ],
};

export function isGeneratorName(name: string): name is GeneratorName {
  return Object.hasOwn(generatorRules, name);
}

/** The number of vertices a generator call will make, to refuse absurd sizes before building. */
export function generatedVertexCount(generator: GeneratorName, args: Readonly<Record<string, number | boolean>>): number {
  switch (generator) {
    case "balanced_tree": {
      const r = args["r"] as number;
      const h = args["h"] as number;
      return r === 1 ? h + 1 : (Math.pow(r, h + 1) - 1) / (r - 1);
    }
    case "grid_2d":
      return (args["rows"] as number) * (args["cols"] as number);
    case "watts_strogatz":
    case "erdos_renyi":
      return args["n"] as number;
  }
}

/** Graphs larger than this are refused: they would not fit in memory as networks. */
export const MAX_VERTICES = 10_000_000;
