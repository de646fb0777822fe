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

/**
 * How many vertices, at most how many edges, and how many vertex pairs the
 * generator draws a number for (the O(n²) ones: erdos_renyi without `fast`,
 * random_dag), so that absurd sizes are refused before anything is built.
 * Arithmetic in doubles: sizes too large to be exact are far past any limit.
 */
export function generatedSize(generator: GeneratorName, args: Readonly<Record<string, unknown>>): { vertices: number; edges: number; pairs: number } {
  const get = (name: string): number => args[name] as number;
  const n = get("n");
  const pairs = (n * (n - 1)) / 2;
  switch (generator) {
    case "balanced_tree": {
      const [r, h] = [get("r"), get("h")];
      const v = r === 1 ? h + 1 : (Math.pow(r, h + 1) - 1) / (r - 1);
      return { vertices: v, edges: v - 1, pairs: 0 };
    }
    case "grid_2d":
      return { vertices: get("rows") * get("cols"), edges: 2 * get("rows") * get("cols"), pairs: 0 };
    case "watts_strogatz":
      return { vertices: n, edges: n * Math.floor(get("k") / 2), pairs: 0 };
    case "newman_watts_strogatz":
      // The ring's edges, and at most one shortcut for each of them.
      return { vertices: n, edges: 2 * n * Math.floor(get("k") / 2), pairs: 0 };
    case "erdos_renyi": {
      const drawn = args["directed"] === true ? 2 * pairs : pairs;
      return { vertices: n, edges: drawn * get("p"), pairs: args["fast"] === true ? 0 : drawn };
    }
    case "random_dag":
      return { vertices: n, edges: pairs * get("p") + n, pairs };
    case "complete":
      return { vertices: n, edges: pairs, pairs: 0 };
    case "barabasi_albert":
      return { vertices: n, edges: get("m") * (n - get("m")), pairs: 0 };
    case "path":
      return { vertices: n, edges: n - 1, pairs: 0 };
    case "star":
      return { vertices: n + 1, edges: n, pairs: 0 };
    case "ladder":
      return { vertices: 2 * n, edges: 3 * n - 2, pairs: 0 };
  }
}
