import { createRandom } from "../../runtime/random.js";
import type { GeneratorArguments, GeneratorSource } from "../check/program.js";
import { barabasiAlbertGraph, fastGnpRandomGraph, gnpRandomGraph, newmanWattsStrogatzGraph, wattsStrogatzGraph } from "./networkx.js";

/**
 * A simple graph as a generator makes it: vertices 0..order-1 and each edge
 * once; undirected edges as pairs (u, v) with u < v.
 */
export interface GeneratedGraph {
  readonly order: number;
  readonly sources: Uint32Array;
  readonly targets: Uint32Array;
  readonly directed: boolean;
}

/**
 * Builds a generator's graph, with networkx's vertex numbering. The random
 * ones (Watts–Strogatz, Newman–Watts–Strogatz, Erdős–Rényi, Barabási–Albert)
 * draw from CPython's random.Random as networkx does: the same seed gives
 * networkx's graph. random_dag has no networkx counterpart and draws from
 * our own seeded source.
 */
export function generate(source: GeneratorSource): GeneratedGraph {
  switch (source.generator) {
    case "balanced_tree":
      return balancedTree(source.args);
    case "grid_2d":
      return grid2d(source.args);
    case "watts_strogatz":
      return wattsStrogatz(source.args);
    case "newman_watts_strogatz":
      return newmanWattsStrogatz(source.args);
    case "erdos_renyi":
      return erdosRenyi(source.args);
    case "barabasi_albert":
      return barabasiAlbert(source.args);
    case "complete":
      return complete(source.args);
    case "path":
      return path(source.args);
    case "ladder":
      return ladder(source.args);
    case "star":
      return star(source.args);
    case "random_dag":
      return randomDag(source.args);
  }
}

/** Collects pairs, normalised to u < v. */
class PairList {
  private readonly us: number[] = [];
  private readonly vs: number[] = [];
  add(u: number, v: number): void {
    this.us.push(Math.min(u, v));
    this.vs.push(Math.max(u, v));
  }
  finish(order: number, directed = false): GeneratedGraph {
    return { order, sources: Uint32Array.from(this.us), targets: Uint32Array.from(this.vs), directed };
  }
}

/** networkx.balanced_tree: breadth-first numbering, so vertex i's children are r·i+1 … r·i+r. */
function balancedTree({ r, h }: GeneratorArguments["balanced_tree"]): GeneratedGraph {
  const order = r === 1 ? h + 1 : (r ** (h + 1) - 1) / (r - 1);
  const pairs = new PairList();
  for (let child = 1; child < order; child++) pairs.add(Math.floor((child - 1) / r), child);
  return pairs.finish(order);
}

/**
 * networkx.grid_2d_graph with vertex (i, j) numbered i·cols + j. A periodic
 * grid wraps a dimension only when it has more than two vertices, as networkx
 * does (otherwise the wrap would duplicate an edge).
 */
function grid2d({ rows, cols, periodic }: GeneratorArguments["grid_2d"]): GeneratedGraph {
  const pairs = new PairList();
  const id = (i: number, j: number): number => i * cols + j;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (i + 1 < rows) pairs.add(id(i, j), id(i + 1, j));
      if (j + 1 < cols) pairs.add(id(i, j), id(i, j + 1));
    }
  }
  if (periodic && cols > 2) for (let i = 0; i < rows; i++) pairs.add(id(i, 0), id(i, cols - 1));
  if (periodic && rows > 2) for (let j = 0; j < cols; j++) pairs.add(id(0, j), id(rows - 1, j));
  return pairs.finish(rows * cols);
}

/** networkx.watts_strogatz_graph, drawn as networkx draws it (networkx.ts). */
function wattsStrogatz({ n, k, p, seed }: GeneratorArguments["watts_strogatz"]): GeneratedGraph {
  return wattsStrogatzGraph(n, k, p, seed);
}

/** networkx.gnp_random_graph, or with `fast` fast_gnp_random_graph (cost following the edges, not n²); `directed` as networkx's. */
function erdosRenyi({ n, p, seed, directed, fast }: GeneratorArguments["erdos_renyi"]): GeneratedGraph {
  return fast ? fastGnpRandomGraph(n, p, seed, directed) : gnpRandomGraph(n, p, seed, directed);
}

/** networkx.complete_graph(n). */
function complete({ n }: GeneratorArguments["complete"]): GeneratedGraph {
  const pairs = new PairList();
  for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) pairs.add(u, v);
  return pairs.finish(n);
}

/** networkx.path_graph(n): 0 -- 1 -- … -- n-1. */
function path({ n }: GeneratorArguments["path"]): GeneratedGraph {
  const pairs = new PairList();
  for (let v = 1; v < n; v++) pairs.add(v - 1, v);
  return pairs.finish(n);
}

/** networkx.ladder_graph(n): rails 0 … n-1 and n … 2n-1, rungs i -- i+n (one rung and no rails when n is 1). */
function ladder({ n }: GeneratorArguments["ladder"]): GeneratedGraph {
  const pairs = new PairList();
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) pairs.add(i, i + 1);
    if (i + 1 < n) pairs.add(n + i, n + i + 1);
    pairs.add(i, i + n);
  }
  return pairs.finish(2 * n);
}

/** networkx.star_graph(n): n + 1 vertices, the centre 0 joined to 1 … n. */
function star({ n }: GeneratorArguments["star"]): GeneratedGraph {
  const pairs = new PairList();
  for (let v = 1; v <= n; v++) pairs.add(0, v);
  return pairs.finish(n + 1);
}

/** networkx.newman_watts_strogatz_graph, drawn as networkx draws it. */
function newmanWattsStrogatz({ n, k, p, seed }: GeneratorArguments["newman_watts_strogatz"]): GeneratedGraph {
  return newmanWattsStrogatzGraph(n, k, p, seed);
}

/** networkx.barabasi_albert_graph (from the star on m + 1 vertices), drawn as networkx draws it. */
function barabasiAlbert({ n, m, seed }: GeneratorArguments["barabasi_albert"]): GeneratedGraph {
  return barabasiAlbertGraph(n, m, seed);
}

/**
 * A random DAG of n vertices in `layers` layers (sizes as even as possible,
 * ids in layer order): each pair of vertices in different layers is joined,
 * lower layer to higher, with probability p, and each vertex above the first
 * layer that got no edge from the layer right below gets one from a uniform
 * vertex there, so its depth is exactly its layer.
 */
function randomDag({ n, layers, p, seed }: GeneratorArguments["random_dag"]): GeneratedGraph {
  const random = createRandom(seed);
  const layerOf = Array.from({ length: n }, (_, v) => Math.floor((v * layers) / n));
  const start = Array.from({ length: layers + 1 }, (_, l) => (layerOf.indexOf(l) === -1 ? n : layerOf.indexOf(l)));
  const pairs = new PairList();
  for (let v = start[1]!; v < n; v++) {
    const layer = layerOf[v]!;
    let fromBelow = false;
    for (let u = 0; u < start[layer]!; u++) {
      if (random.next() >= p) continue;
      pairs.add(u, v);
      if (layerOf[u] === layer - 1) fromBelow = true;
    }
    if (!fromBelow) pairs.add(start[layer - 1]! + random.int(start[layer]! - start[layer - 1]!), v);
  }
  return pairs.finish(n, true);
}
