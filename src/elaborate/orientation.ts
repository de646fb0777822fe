import { createRandom } from "../../runtime/random.js";
import type { OrientationRule } from "../check/program.js";
import type { RawGraph } from "./raw-graph.js";

/**
 * Points every edge of an undirected graph from the endpoint that comes first
 * in a total order of the vertices to the one that comes later — so the
 * result is acyclic whatever the order. The orders:
 *
 * - `index`: ascending vertex id (deepstruct's behaviour);
 * - `bfs`: breadth-first discovery from `roots` in the order given, visiting
 *   neighbours in ascending id; vertices no root reaches are discovered
 *   from the smallest unvisited id onwards;
 * - `random`: a seeded random permutation.
 */
export function orient(graph: RawGraph, rule: OrientationRule, roots: readonly number[], seed: number): RawGraph {
  const rank = rule === "index" ? graph.ids.map((_, i) => i) : rule === "random" ? randomRanks(graph.ids.length, seed) : bfsRanks(graph, roots);
  const sources = new Uint32Array(graph.sources.length);
  const targets = new Uint32Array(graph.sources.length);
  for (let e = 0; e < graph.sources.length; e++) {
    const [u, v] = [graph.sources[e]!, graph.targets[e]!];
    const forward = rank[u]! < rank[v]!;
    sources[e] = forward ? u : v;
    targets[e] = forward ? v : u;
  }
  return { ...graph, sources, targets, directed: true };
}

function randomRanks(order: number, seed: number): number[] {
  const random = createRandom(seed);
  const permutation = Array.from({ length: order }, (_, i) => i);
  for (let i = order - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
  }
  const rank = new Array<number>(order);
  permutation.forEach((vertex, position) => (rank[vertex] = position));
  return rank;
}

/** Positions of `roots` (vertex ids) must exist: the caller checks them first. */
function bfsRanks(graph: RawGraph, roots: readonly number[]): number[] {
  const order = graph.ids.length;
  const neighbours: number[][] = Array.from({ length: order }, () => []);
  for (let e = 0; e < graph.sources.length; e++) {
    neighbours[graph.sources[e]!]!.push(graph.targets[e]!);
    neighbours[graph.targets[e]!]!.push(graph.sources[e]!);
  }
  for (const list of neighbours) list.sort((a, b) => a - b);
  const position = new Map(graph.ids.map((id, i) => [id, i]));
  const rank = new Array<number>(order).fill(-1);
  let next = 0;
  const visit = (start: number): void => {
    if (rank[start] !== -1) return;
    rank[start] = next++;
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      for (const v of neighbours[u]!) {
        if (rank[v] !== -1) continue;
        rank[v] = next++;
        queue.push(v);
      }
    }
  };
  for (const root of roots) visit(position.get(root)!);
  for (let v = 0; v < order; v++) visit(v);
  return rank;
}
