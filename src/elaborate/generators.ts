import { UndirectedGraph } from "graphology";
// graphology-generators types its index as flat re-exports but builds it as namespaces; this path agrees in both.
import { erdosRenyi as erdosRenyiGenerator } from "graphology-generators/random/index.js";
import { createRandom } from "../../runtime/random.js";
import type { GeneratorArguments, GeneratorSource } from "../check/program.js";

/**
 * An undirected simple graph as a generator makes it: vertices 0..order-1 and
 * each edge once, as a pair (u, v) with u < v.
 */
export interface UndirectedEdges {
  readonly order: number;
  readonly sources: Uint32Array;
  readonly targets: Uint32Array;
}

/** Builds a generator's graph. Each follows networkx's algorithm and vertex numbering, seeded by our own generator. */
export function generate(source: GeneratorSource): UndirectedEdges {
  switch (source.generator) {
    case "balanced_tree":
      return balancedTree(source.args);
    case "grid_2d":
      return grid2d(source.args);
    case "watts_strogatz":
      return wattsStrogatz(source.args);
    case "erdos_renyi":
      return erdosRenyi(source.args);
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
  finish(order: number): UndirectedEdges {
    return { order, sources: Uint32Array.from(this.us), targets: Uint32Array.from(this.vs) };
  }
}

/** networkx.balanced_tree: breadth-first numbering, so vertex i's children are r·i+1 … r·i+r. */
function balancedTree({ r, h }: GeneratorArguments["balanced_tree"]): UndirectedEdges {
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
function grid2d({ rows, cols, periodic }: GeneratorArguments["grid_2d"]): UndirectedEdges {
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

/**
 * networkx.watts_strogatz_graph: a ring where each vertex joins its k/2
 * nearest neighbours on each side, then each ring edge (u, u+j) is rewired
 * with probability p to (u, w), w uniform among vertices that are neither u
 * nor already joined to u.
 */
function wattsStrogatz({ n, k, p, seed }: GeneratorArguments["watts_strogatz"]): UndirectedEdges {
  const random = createRandom(seed);
  const adjacency: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const join = (u: number, v: number): void => {
    adjacency[u]!.add(v);
    adjacency[v]!.add(u);
  };
  const half = Math.floor(k / 2);
  for (let j = 1; j <= half; j++) for (let u = 0; u < n; u++) join(u, (u + j) % n);
  for (let j = 1; j <= half; j++) {
    for (let u = 0; u < n; u++) {
      if (random.next() >= p) continue;
      const neighbours = adjacency[u]!;
      if (neighbours.size >= n - 1) continue;
      let w = random.int(n);
      while (w === u || neighbours.has(w)) w = random.int(n);
      const v = (u + j) % n;
      neighbours.delete(v);
      adjacency[v]!.delete(u);
      join(u, w);
    }
  }
  const pairs = new PairList();
  adjacency.forEach((neighbours, u) => {
    for (const v of [...neighbours].sort((a, b) => a - b)) if (u < v) pairs.add(u, v);
  });
  return pairs.finish(n);
}

/**
 * G(n, p), by graphology-generators' sparse variant (Batagelj & Brandes 2005):
 * it draws the gaps between chosen pairs, so its cost follows the edges, not n².
 */
function erdosRenyi({ n, p, seed }: GeneratorArguments["erdos_renyi"]): UndirectedEdges {
  const random = createRandom(seed);
  const graph = erdosRenyiGenerator.sparse(UndirectedGraph, { order: n, probability: p, rng: random.next });
  const pairs = new PairList();
  graph.forEachEdge((_edge, _attributes, u, v) => pairs.add(Number(u), Number(v)));
  return pairs.finish(n);
}
