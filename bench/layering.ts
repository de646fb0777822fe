/**
 * Layering a DAG with a million edges (issue bar: under 2 s). Baseline, same
 * run: the same Kahn layering walking a graphology graph's adjacency, which is
 * what a straightforward implementation on our graph library would do.
 */
import { DirectedGraph } from "graphology";
import { layer } from "../src/elaborate/layering.js";
import { createRandom } from "../runtime/random.js";
import { medianSeconds, row } from "./timing.js";

export function benchLayering(): string[] {
  const lines = [row(["vertices", "edges", "ours (s)", "graphology walk (s)", "speed-up"]), row(["---", "---", "---", "---", "---"])];
  for (const [order, edges] of [
    [100_000, 1_000_000],
    [1_000_000, 1_000_000],
  ] as const) {
    const { sources, targets } = randomDag(order, edges, 1);
    const ours = medianSeconds(() => {
      const result = layer(order, sources, targets);
      if (!result.acyclic) throw new Error("bench: the DAG has a cycle");
    });
    const graph = new DirectedGraph();
    for (let v = 0; v < order; v++) graph.addNode(v);
    for (let e = 0; e < edges; e++) graph.mergeEdge(sources[e]!, targets[e]!);
    const baseline = medianSeconds(() => graphologyLayering(graph), 3);
    lines.push(row([order, edges, ours, baseline, `${(baseline / ours).toFixed(1)}×`]));
  }
  return lines;
}

/** Random edges u → v with u < v: acyclic by construction. */
function randomDag(order: number, edges: number, seed: number): { sources: Uint32Array; targets: Uint32Array } {
  const random = createRandom(seed);
  const sources = new Uint32Array(edges);
  const targets = new Uint32Array(edges);
  for (let e = 0; e < edges; e++) {
    const a = random.int(order);
    let b = random.int(order);
    while (b === a) b = random.int(order);
    sources[e] = Math.min(a, b);
    targets[e] = Math.max(a, b);
  }
  return { sources, targets };
}

function graphologyLayering(graph: DirectedGraph): Map<string, number> {
  const indegree = new Map<string, number>();
  const depth = new Map<string, number>();
  const queue: string[] = [];
  graph.forEachNode((node) => {
    indegree.set(node, graph.inDegree(node));
    depth.set(node, 0);
    if (graph.inDegree(node) === 0) queue.push(node);
  });
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head]!;
    graph.forEachOutNeighbor(u, (v) => {
      depth.set(v, Math.max(depth.get(v)!, depth.get(u)! + 1));
      const left = indegree.get(v)! - 1;
      indegree.set(v, left);
      if (left === 0) queue.push(v);
    });
  }
  return depth;
}
