import type { GeneratorName } from "./program.js";
import type { ParameterRule } from "./arguments.js";

const seed: ParameterRule = { name: "seed", kind: "integer", min: 0, default: 0 };
const probability: ParameterRule = { name: "p", kind: "number", min: 0, max: 1 };
const vertices: ParameterRule = { name: "n", kind: "integer", min: 1 };

/**
 * The graph generators the language knows, with their parameters in networkx's
 * order and names (without networkx's `_graph` suffix), so
 * `watts_strogatz(100, 4, 0.5)` means what `watts_strogatz_graph(100, 4, 0.5)` means there.
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
  watts_strogatz: [vertices, { name: "k", kind: "integer", min: 0 }, probability, seed],
  newman_watts_strogatz: [vertices, { name: "k", kind: "integer", min: 0 }, probability, seed],
  erdos_renyi: [vertices, probability, seed, { name: "directed", kind: "boolean", default: false }, { name: "fast", kind: "boolean", default: false }],
  barabasi_albert: [vertices, { name: "m", kind: "integer", min: 1 }, seed],
  complete: [vertices],
  path: [vertices],
  star: [{ name: "n", kind: "integer", min: 1 }],
  ladder: [vertices],
  random_dag: [vertices, { name: "layers", kind: "integer", min: 1 }, probability, seed],
};

export function isGeneratorName(name: string): name is GeneratorName {
  return Object.hasOwn(generatorRules, name);
}

/** How many vertices and (at most) edges a generator call will make, to refuse absurd sizes before building. */
export function generatedSize(generator: GeneratorName, args: Readonly<Record<string, unknown>>): { vertices: number; edges: number } {
  const get = (name: string): number => args[name] as number;
  switch (generator) {
    case "balanced_tree": {
      const [r, h] = [get("r"), get("h")];
      const v = r === 1 ? h + 1 : (Math.pow(r, h + 1) - 1) / (r - 1);
      return { vertices: v, edges: v - 1 };
    }
    case "grid_2d":
      return { vertices: get("rows") * get("cols"), edges: 2 * get("rows") * get("cols") };
    case "watts_strogatz":
    case "newman_watts_strogatz":
      return { vertices: get("n"), edges: get("n") * get("k") };
    case "erdos_renyi":
    case "random_dag":
    case "complete":
      return { vertices: get("n"), edges: ((get("n") * (get("n") - 1)) / 2) * (generator === "complete" ? 1 : get("p")) };
    case "barabasi_albert":
      return { vertices: get("n"), edges: get("n") * get("m") };
    case "path":
      return { vertices: get("n"), edges: get("n") - 1 };
    case "star":
      return { vertices: get("n") + 1, edges: get("n") };
    case "ladder":
      return { vertices: 2 * get("n"), edges: 3 * get("n") };
  }
}

/** Graphs larger than this are refused: they would not fit in memory as networks. */
export const MAX_VERTICES = 10_000_000;
export const MAX_EDGES = 50_000_000;
