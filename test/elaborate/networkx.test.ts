/**
 * CPython's random.Random and networkx's random graphs, reproduced: checked
 * against test/fixtures/networkx, written by scripts/networkx-references.py
 * with CPython 3.11 and networkx 3.6.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GeneratedGraph } from "../../src/elaborate/generators.js";
import { barabasiAlbertGraph, fastGnpRandomGraph, gnpRandomGraph, newmanWattsStrogatzGraph, wattsStrogatzGraph } from "../../src/elaborate/networkx.js";
import { pythonRandom } from "../../src/elaborate/python-random.js";
import { analyze } from "../../src/index.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "networkx");
const read = <T>(name: string): T => JSON.parse(readFileSync(join(fixtures, name), "utf8")) as T;

interface Draws {
  readonly seed: number;
  readonly random: number[];
  readonly getrandbits: Record<string, number[]>;
  readonly randrange: number[];
  readonly sample_small: number[];
  readonly sample_large: number[];
  readonly shuffle: number[];
  readonly choice: number[];
}

describe("CPython's random.Random(seed)", () => {
  const { draws } = read<{ draws: Draws[] }>("random.json");
  it.each(draws.map((d) => [d.seed, d] as const))("seed %s: random(), getrandbits, randrange, sample, shuffle and choice as CPython draws them", (_seed, d) => {
    const r = pythonRandom(d.seed);
    expect(d.random.map(() => r.random())).toEqual(d.random);
    for (const k of [1, 5, 13, 31, 32, 33, 40, 53]) expect(d.getrandbits[String(k)]!.map(() => r.getrandbits(k))).toEqual(d.getrandbits[String(k)]);
    const widths = [1, 2, 3, 10, 1000, 12345, 2 ** 20 + 1];
    expect(widths.flatMap((n) => Array.from({ length: 20 }, () => r.randrange(3, 3 + n)))).toEqual(d.randrange);
    expect(
      r.sample(
        Array.from({ length: 20 }, (_, i) => i),
        7,
      ),
    ).toEqual(d.sample_small);
    expect(
      r.sample(
        Array.from({ length: 10000 }, (_, i) => i),
        50,
      ),
    ).toEqual(d.sample_large);
    const xs = Array.from({ length: 30 }, (_, i) => i);
    r.shuffle(xs);
    expect(xs).toEqual(d.shuffle);
    expect(Array.from({ length: 30 }, () => r.choice([5, 6, 7, 8, 9]))).toEqual(d.choice);
  });
});

interface Reference {
  readonly args: number[];
  readonly seed: number;
  readonly nodes: number;
  readonly edgeCount: number;
  readonly sha256: string;
  readonly edges?: [number, number][];
}

/** The sorted edge list as networkx's reference script lists it (undirected pairs as (min, max)). */
function sortedEdges(g: GeneratedGraph): [number, number][] {
  const edges = Array.from(g.sources, (u, e): [number, number] => (g.directed ? [u, g.targets[e]!] : [Math.min(u, g.targets[e]!), Math.max(u, g.targets[e]!)]));
  return edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

const generators: Record<string, (args: number[], seed: number) => GeneratedGraph> = {
  watts_strogatz: ([n, k, p], seed) => wattsStrogatzGraph(n!, k!, p!, seed),
  newman_watts_strogatz: ([n, k, p], seed) => newmanWattsStrogatzGraph(n!, k!, p!, seed),
  erdos_renyi: ([n, p], seed) => gnpRandomGraph(n!, p!, seed),
  erdos_renyi_directed: ([n, p], seed) => gnpRandomGraph(n!, p!, seed, true),
  fast_gnp: ([n, p], seed) => fastGnpRandomGraph(n!, p!, seed),
  fast_gnp_directed: ([n, p], seed) => fastGnpRandomGraph(n!, p!, seed, true),
  barabasi_albert: ([n, m], seed) => barabasiAlbertGraph(n!, m!, seed),
};

describe("networkx's random graphs", () => {
  const references = read<Record<string, Reference[]>>("graphs.json");
  for (const [name, make] of Object.entries(generators)) {
    it(`${name}: the 20 reference graphs, small and large, are networkx's exactly`, () => {
      const cases = references[name]!;
      expect(cases).toHaveLength(20);
      let same = 0;
      for (const c of cases) {
        const g = make(c.args, c.seed);
        const edges = sortedEdges(g);
        expect(g.order).toBe(c.nodes);
        if (c.edges !== undefined) expect(edges).toEqual(c.edges);
        expect(edges.length).toBe(c.edgeCount);
        if (createHash("sha256").update(JSON.stringify(edges)).digest("hex") === c.sha256) same++;
      }
      expect(same).toBe(20);
    }, 60000);
  }
});

describe("the language's random generators", () => {
  const references = read<Record<string, Reference[]>>("graphs.json");
  const find = (name: string, args: number[], seed: number): Reference => references[name]!.find((r) => r.seed === seed && r.args.join() === args.join())!;
  const edgesOf = (source: string): [number, number][] => {
    const result = analyze(`graph g = ${source}`);
    expect(result.diagnostics).toEqual([]);
    const g = result.program!.graphs.get("g")!;
    return g.graph.mapEdges((_e, _a, s, t): [number, number] => [Number(s), Number(t)]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  };
  it.each([
    ["watts_strogatz(100, 4, 0.5, seed=42)", "watts_strogatz", [100, 4, 0.5], 42],
    ["newman_watts_strogatz(n=30, k=4, p=0.5, seed=1)", "newman_watts_strogatz", [30, 4, 0.5], 1],
    ["erdos_renyi(30, 0.2, seed=2024)", "erdos_renyi", [30, 0.2], 2024],
    ["erdos_renyi(30, 0.2, seed=0, fast=true)", "fast_gnp", [30, 0.2], 0],
    ["barabasi_albert(30, 2, seed=42)", "barabasi_albert", [30, 2], 42],
  ] as const)("%s is networkx's graph", (source, name, args, seed) => {
    expect(edgesOf(source)).toEqual(find(name, [...args], seed).edges);
  });

  it("a directed erdos_renyi graph is networkx's directed one, and as a structure its cycle is refused by name", () => {
    const reference = find("erdos_renyi_directed", [10, 0.5], 1);
    const result = analyze("graph g = erdos_renyi(10, 0.5, seed=1, directed=true)\nnetwork N { input 3 structure g output 2 }");
    const cycle = result.diagnostics.find((d) => d.severity === "error")!;
    expect(cycle.message).toMatch(/cycle/);
    expect(cycle.span.start.line).toBe(1);
    expect(reference.edges!.some(([u, v]) => reference.edges!.some(([a, b]) => a === v && b === u))).toBe(true);
  });
});
