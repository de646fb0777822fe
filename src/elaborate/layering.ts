/**
 * Layering of a directed graph given as edge arrays over vertices 0..order-1:
 * Kahn's algorithm, O(V + E), on a compressed adjacency (CSR) so a million
 * edges take a few typed-array passes rather than a million object lookups.
 */
export type Layering = { readonly acyclic: true; readonly depth: Int32Array; readonly depthCount: number } | { readonly acyclic: false; readonly cycle: readonly number[] };

export function layer(order: number, sources: Uint32Array, targets: Uint32Array): Layering {
  const { offsets, neighbours } = compress(order, sources, targets);
  const indegree = new Int32Array(order);
  for (let e = 0; e < targets.length; e++) indegree[targets[e]!]!++;

  const depth = new Int32Array(order);
  const queue = new Int32Array(order);
  let head = 0;
  let tail = 0;
  for (let v = 0; v < order; v++) if (indegree[v] === 0) queue[tail++] = v;
  while (head < tail) {
    const u = queue[head++]!;
    const next = depth[u]! + 1;
    for (let i = offsets[u]!; i < offsets[u + 1]!; i++) {
      const v = neighbours[i]!;
      if (depth[v]! < next) depth[v] = next;
      if (--indegree[v]! === 0) queue[tail++] = v;
    }
  }
  if (tail !== order) return { acyclic: false, cycle: findCycle(order, offsets, neighbours, indegree) };
  let deepest = -1;
  for (let v = 0; v < order; v++) if (depth[v]! > deepest) deepest = depth[v]!;
  return { acyclic: true, depth, depthCount: deepest + 1 };
}

function compress(order: number, sources: Uint32Array, targets: Uint32Array): { offsets: Int32Array; neighbours: Int32Array } {
  const offsets = new Int32Array(order + 1);
  for (let e = 0; e < sources.length; e++) offsets[sources[e]! + 1]!++;
  for (let v = 0; v < order; v++) offsets[v + 1]! += offsets[v]!;
  const fill = offsets.slice(0, order);
  const neighbours = new Int32Array(sources.length);
  for (let e = 0; e < sources.length; e++) neighbours[fill[sources[e]!]!++] = targets[e]!;
  return { offsets, neighbours };
}

/**
 * A cycle among the vertices Kahn's algorithm could not place (those left
 * with positive in-degree): iterative depth-first search, so deep graphs do
 * not overflow the stack. Returned as a closed walk, first vertex repeated.
 */
function findCycle(order: number, offsets: Int32Array, neighbours: Int32Array, remaining: Int32Array): number[] {
  const state = new Uint8Array(order); // 0 unseen, 1 on the current path, 2 done
  const cursor = new Int32Array(order);
  const path: number[] = [];
  for (let start = 0; start < order; start++) {
    if (remaining[start] === 0 || state[start] !== 0) continue;
    path.push(start);
    state[start] = 1;
    cursor[start] = offsets[start]!;
    while (path.length > 0) {
      const u = path.at(-1)!;
      if (cursor[u]! === offsets[u + 1]!) {
        state[u] = 2;
        path.pop();
        continue;
      }
      const v = neighbours[cursor[u]!++]!;
      if (remaining[v] === 0 || state[v] === 2) continue;
      if (state[v] === 1) return [...path.slice(path.indexOf(v)), v];
      state[v] = 1;
      cursor[v] = offsets[v]!;
      path.push(v);
    }
  }
  throw new Error("layering: Kahn's algorithm left vertices but no cycle was found");
}
