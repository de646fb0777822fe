/**
 * networkx 3.x's random graph generators followed step for step, drawing
 * from CPython's random.Random (python-random.ts) in the order networkx
 * does, so the same arguments and integer seed give networkx's graph: the
 * same vertices and the same edges. Where networkx's draws depend on the
 * order of a Python set (Barabási–Albert's targets) or a graph's adjacency
 * (Newman–Watts–Strogatz's edge list), that order is reproduced too.
 */
import { pythonRandom, type PythonRandom } from "./python-random.js";
import type { GeneratedGraph } from "./generators.js";

/** A simple graph as networkx builds it: per vertex its neighbours in insertion order (a dict's order). */
class Adjacency {
  readonly neighbours: Set<number>[];
  constructor(readonly order: number) {
    this.neighbours = Array.from({ length: order }, () => new Set<number>());
  }
  has(u: number, v: number): boolean {
    return this.neighbours[u]!.has(v);
  }
  add(u: number, v: number): void {
    this.neighbours[u]!.add(v);
    this.neighbours[v]!.add(u);
  }
  remove(u: number, v: number): void {
    this.neighbours[u]!.delete(v);
    this.neighbours[v]!.delete(u);
  }
  degree(u: number): number {
    return this.neighbours[u]!.size;
  }
  /** `list(G.edges())`: vertices in order, each one's neighbours in insertion order, every edge once. */
  edges(): [number, number][] {
    const out: [number, number][] = [];
    this.neighbours.forEach((set, u) => {
      // A neighbour below u was a vertex already visited: its edge came out then.
      for (const v of set) if (v >= u) out.push([u, v]);
    });
    return out;
  }
  graph(): GeneratedGraph {
    const [sources, targets]: [number[], number[]] = [[], []];
    this.neighbours.forEach((set, u) => {
      for (const v of set) if (u < v) (sources.push(u), targets.push(v));
    });
    return { order: this.order, sources: Uint32Array.from(sources), targets: Uint32Array.from(targets), directed: false };
  }
}

/** The ring lattice both Watts–Strogatz models start from: each vertex joined to its k // 2 next ones, j = 1 … k // 2 in turn. */
function ringLattice(n: number, k: number): Adjacency {
  const g = new Adjacency(n);
  for (let j = 1; j <= Math.floor(k / 2); j++) for (let u = 0; u < n; u++) g.add(u, (u + j) % n);
  return g;
}

function complete(n: number): GeneratedGraph {
  const g = new Adjacency(n);
  for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) g.add(u, v);
  return g.graph();
}

/**
 * Both Watts–Strogatz models' draw of a new neighbour w for u: uniform until
 * it is neither u nor joined to u, given up (undefined) when u is joined to
 * every other vertex — checked after each redraw, as networkx checks it.
 */
function partner(g: Adjacency, u: number, nodes: readonly number[], random: PythonRandom): number | undefined {
  let w = random.choice(nodes);
  while (w === u || g.has(u, w)) {
    w = random.choice(nodes);
    if (g.degree(u) >= g.order - 1) return undefined;
  }
  return w;
}

/** nx.watts_strogatz_graph(n, k, p, seed). */
export function wattsStrogatzGraph(n: number, k: number, p: number, seed: number): GeneratedGraph {
  if (k === n) return complete(n);
  const random = pythonRandom(seed);
  const g = ringLattice(n, k);
  const nodes = Array.from({ length: n }, (_, i) => i);
  for (let j = 1; j <= Math.floor(k / 2); j++) {
    for (let u = 0; u < n; u++) {
      if (random.random() >= p) continue;
      const w = partner(g, u, nodes, random);
      if (w === undefined) continue;
      g.remove(u, (u + j) % n);
      g.add(u, w);
    }
  }
  return g.graph();
}

/** nx.newman_watts_strogatz_graph(n, k, p, seed). */
export function newmanWattsStrogatzGraph(n: number, k: number, p: number, seed: number): GeneratedGraph {
  if (k === n) return complete(n);
  const random = pythonRandom(seed);
  const g = ringLattice(n, k);
  const nodes = Array.from({ length: n }, (_, i) => i);
  for (const [u] of g.edges()) {
    if (random.random() >= p) continue;
    const w = partner(g, u, nodes, random);
    if (w !== undefined) g.add(u, w);
  }
  return g.graph();
}

function edgeList(order: number, directed: boolean, sources: number[], targets: number[]): GeneratedGraph {
  if (!directed) {
    for (let e = 0; e < sources.length; e++) if (sources[e]! > targets[e]!) [sources[e], targets[e]] = [targets[e]!, sources[e]!];
  }
  return { order, sources: Uint32Array.from(sources), targets: Uint32Array.from(targets), directed };
}

/** nx.gnp_random_graph(n, p, seed, directed): every pair (every ordered pair if directed) with probability p. */
export function gnpRandomGraph(n: number, p: number, seed: number, directed = false): GeneratedGraph {
  const [sources, targets]: [number[], number[]] = [[], []];
  if (p >= 1) {
    for (let u = 0; u < n; u++) for (let v = directed ? 0 : u + 1; v < n; v++) if (u !== v) (sources.push(u), targets.push(v));
    return edgeList(n, directed, sources, targets);
  }
  if (p <= 0) return edgeList(n, directed, sources, targets);
  const random = pythonRandom(seed);
  for (let u = 0; u < n; u++) {
    for (let v = directed ? 0 : u + 1; v < n; v++) {
      if (u !== v && random.random() < p) (sources.push(u), targets.push(v));
    }
  }
  return edgeList(n, directed, sources, targets);
}

/**
 * nx.fast_gnp_random_graph(n, p, seed, directed) (Batagelj and Brandes):
 * geometric skips between edges. networkx 3.x's directed version runs the
 * directed pass and then the undirected one too (it has no return between
 * them), so its graph is the union of both; that is reproduced.
 */
export function fastGnpRandomGraph(n: number, p: number, seed: number, directed = false): GeneratedGraph {
  if (p <= 0 || p >= 1) return gnpRandomGraph(n, p, seed, directed);
  const random = pythonRandom(seed);
  const lp = Math.log(1 - p);
  // The two directed passes give w → v and v → w (w < v): never the same edge twice.
  const [sources, targets]: [number[], number[]] = [[], []];
  const add = (u: number, v: number): void => void (sources.push(u), targets.push(v));
  const pass = (edge: (v: number, w: number) => void): void => {
    let [v, w] = [1, -1];
    while (v < n) {
      w = w + 1 + Math.trunc(Math.log(1 - random.random()) / lp);
      while (w >= v && v < n) [w, v] = [w - v, v + 1];
      if (v < n) edge(v, w);
    }
  };
  if (directed) pass((v, w) => add(w, v));
  pass((v, w) => add(v, w));
  return edgeList(n, directed, sources, targets);
}

/** nx.barabasi_albert_graph(n, m, seed): from the star on m + 1 vertices, each new vertex joined to m targets by degree. */
export function barabasiAlbertGraph(n: number, m: number, seed: number): GeneratedGraph {
  const random = pythonRandom(seed);
  const g = new Adjacency(n);
  for (let i = 1; i <= m; i++) g.add(0, i);
  // Vertices repeated once per edge end, in G.degree() order: the centre m times, then each leaf once.
  const repeated: number[] = [...new Array<number>(m).fill(0), ...Array.from({ length: m }, (_, i) => i + 1)];
  for (let source = m + 1; source < n; source++) {
    const targets = randomSubset(repeated, m, random);
    for (const t of targets) g.add(source, t);
    repeated.push(...targets);
    for (let i = 0; i < m; i++) repeated.push(source);
  }
  return g.graph();
}

/** networkx's _random_subset: choices until m distinct ones, handed back in the order a Python set of them iterates. */
function randomSubset(seq: readonly number[], m: number, random: PythonRandom): number[] {
  const targets = new PythonIntSet();
  while (targets.size < m) targets.add(random.choice(seq));
  return targets.values();
}

const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const MIN_SIZE = 8;

/**
 * A set of non-negative integers laid out as CPython 3.11's set object lays
 * them out (Objects/setobject.c: a table of 8 slots and up, linear probes of
 * 9 then perturbed jumps, resized at 3/5 full), so that iterating it gives
 * CPython's order. An int's hash is itself.
 */
class PythonIntSet {
  private table = new Float64Array(MIN_SIZE).fill(-1);
  private used = 0;
  get size(): number {
    return this.used;
  }
  add(key: number): void {
    const slot = this.find(this.table, key);
    if (this.table[slot] === key) return;
    this.table[slot] = key;
    this.used++;
    const mask = this.table.length - 1;
    if (this.used * 5 >= mask * 3) this.resize(this.used > 50000 ? this.used * 2 : this.used * 4);
  }
  values(): number[] {
    return Array.from(this.table).filter((key) => key >= 0);
  }
  /** The slot holding `key`, or the empty one where it goes. */
  private find(table: Float64Array, key: number): number {
    const mask = table.length - 1;
    let perturb = key;
    let i = key & mask;
    for (;;) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) if (table[i + j] === -1 || table[i + j] === key) return i + j;
      perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
      i = (i * 5 + 1 + perturb) & mask;
    }
  }
  private resize(minUsed: number): void {
    let size = MIN_SIZE;
    while (size <= minUsed) size *= 2;
    const old = this.table;
    this.table = new Float64Array(size).fill(-1);
    for (const key of old) if (key >= 0) this.table[this.find(this.table, key)] = key;
  }
}
