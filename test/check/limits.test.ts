import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze, compile, DEFAULT_LIMITS, type Limits } from "../../src/index.js";

/** `CODE@line:col` of every diagnostic. */
function found(source: string, limits?: Partial<Limits>): string[] {
  return analyze(source, limits ? { limits } : {}).diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}`);
}

const inNetwork = (graph: string): string => `graph g = ${graph}\nnetwork N { input 2 structure g output 1 }`;

describe("issue 13's reproducers: a located diagnostic or a module, never an internal error", () => {
  it.each([
    ["ladder(1)", inNetwork("ladder(1)"), []],
    ["input 1e308 with a random mask", "network N { input 1e308 dense 3 output 2 mask random(density=0.5) }", ["DS2006@1:19"]],
    ["complete(n=1000) in a network", inNetwork("complete(n=1000)"), ["DS2026@1:11"]],
    ["path(n=1000000)", inNetwork("path(n=1000000)"), ["DS2021@1:11"]],
    ["complete(n=10000)", inNetwork("complete(n=10000)"), ["DS2026@1:11"]],
    ["edges { 0 -> 1e308 }", inNetwork("edges { 0 -> 1e308 }"), ["DS2035@1:24"]],
    ["scalable(complete(10), scale=10000000)", inNetwork("scalable(complete(10), scale=10000000)"), ["DS2029@1:11"]],
    ["output 2147483648", "network N { input 2 output 2147483648 }", ["DS2006@1:28"]],
    ["dense 1e9", "network N { input 2 dense 1e9 output 2 }", ["DS2006@1:27"]],
    ["output 1e9", "network N { input 2 output 1e9 }", ["DS2006@1:28"]],
    ["input 1e308", "network N { input 1e308 output 2 }", ["DS2006@1:19"]],
    ["dirichlet(alpha=1e1000)", inNetwork("scalable(complete(3), scale=10, proportions=dirichlet(alpha=1e1000, seed=1))"), ["DS1006@1:71"]],
    ["balanced_tree(r=24, h=5)", inNetwork("balanced_tree(r=24, h=5)"), ["DS2021@1:11"]],
    ["erdos_renyi(10000, p=1)", inNetwork("erdos_renyi(10000, p=1)"), ["DS2026@1:11"]],
    ["complete(3000)", inNetwork("complete(3000)"), ["DS2026@1:11"]],
    ["grid_2d(3000, 3000)", inNetwork("grid_2d(3000, 3000)"), ["DS2021@1:11"]],
    ["barabasi_albert(1e6, 40)", inNetwork("barabasi_albert(1e6, 40)"), ["DS2021@1:11"]],
    ["random_dag(1e4, 1e4, 1)", inNetwork("random_dag(1e4, 1e4, 1)"), ["DS2026@1:11"]],
    ["erdos_renyi(20000, p=0.0001) (few edges, too many pairs)", inNetwork("erdos_renyi(20000, p=0.0001)"), ["DS2028@1:11"]],
  ])("%s", (_, source, expected) => {
    expect(found(source)).toEqual(expected);
  });

  it.each(["[", "append(", "f("])("10,000 nested '%s' are refused at the 65th level, before the parser recurses", (open) => {
    const source = `graph g = ${open.repeat(10_000)}`;
    const [first, ...rest] = analyze(source).diagnostics;
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ code: "DS1005", span: { start: { line: 1, column: 10 + 65 * open.length } } });
  });

  it("lets brackets nest 64 deep", () => {
    expect(found(`network N { input 2 output 1 x ${"[".repeat(63)}${"]".repeat(63)} }`)).toEqual(["DS2004@1:30"]);
  });

  it("emits complete(n=1000) (499,500 blocks, one line each) when the limits are raised", async () => {
    const result = await compile(inNetwork("complete(n=1000)"), { limits: { edges: 500_000, blocks: 500_000 } });
    expect(result.diagnostics).toEqual([]);
    expect(result.plans![0]!.spec.blocks).toHaveLength(499_500 + 2);
    expect(result.code!.split("\n").length).toBeGreaterThan(499_500);
  });

  it("compiles a 200,000-edge edge list", async () => {
    const edges = Array.from({ length: 200_000 }, (_, i) => `${i % 1000} -> ${1000 + Math.floor(i / 1000)}`);
    const result = await compile(`graph g = edges { ${edges.join(", ")} }\nnetwork N { input 2 structure g output 1 }`);
    expect(result.diagnostics).toEqual([]);
    expect(result.plans![0]!.network.layers.map((l) => l.size)).toEqual([2, 1000, 200, 1]);
  });

  it("compiles 2,000 tiny networks in one file, in time linear in their number", async () => {
    const file = (count: number): string => Array.from({ length: count }, (_, i) => `network N${i} { input 2 dense 3 output 1 }`).join("\n");
    const timed = async (count: number): Promise<number> => {
      const started = performance.now();
      const { code } = await compile(file(count));
      expect(code?.match(/export function create/g)).toHaveLength(count);
      return performance.now() - started;
    };
    await timed(50); // warm up
    const [small, large] = [await timed(500), await timed(2000)];
    expect(large / small).toBeLessThan(8); // 4× the networks; quadratic work would be 16×
  });

  it("chains thousands of graphs by name without recursion, each built once", () => {
    const chain = Array.from({ length: 5000 }, (_, i) => `graph g${i + 1} = scalable(g${i}, scale=${10 + (i % 7)})`);
    const result = analyze(["graph g0 = path(10)", ...chain, "network N { input 2 structure g5000 output 1 }"].join("\n"));
    expect(result.diagnostics).toEqual([]);
    expect(result.program?.graphs.size).toBe(5001);
  });

  it("refuses files that are not regular or are over the size limit, at the file(...) call", () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-limits-"));
    writeFileSync(join(dir, "big.json"), JSON.stringify([[0, 1]]) + " ".repeat(200));
    const zero = analyze('graph g = file("/dev/zero")').diagnostics;
    expect(zero.map((d) => d.code)).toEqual(["DS2022"]);
    expect(zero[0]!.message).toContain("not a regular file");
    const big = analyze('graph g = file("big.json")', { fileName: join(dir, "x.ds"), limits: { fileBytes: 100 } }).diagnostics;
    expect(big.map((d) => `${d.code}@${d.span.start.column}`)).toEqual(["DS2022@11"]);
    expect(analyze('graph g = file("big.json")', { fileName: join(dir, "x.ds"), limits: { fileBytes: 1000 } }).diagnostics).toEqual([]);
    const mask = analyze('network N { input 2 output 1 mask file("/dev/zero") }').diagnostics;
    expect(mask.map((d) => d.code)).toEqual(["DS2022"]);
  });

  it("survives a Dirichlet sample that underflows (tiny alpha) with every group at least one neuron", () => {
    const result = analyze(inNetwork("scalable(complete(4), scale=20, proportions=dirichlet(alpha=1e-300, seed=1))"));
    expect(result.diagnostics).toEqual([]);
    const sizes = [...result.program!.graphs.get("g")!.groupSizes!.values()];
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
  });
});

describe("each limit, just below and just above", () => {
  // Small limits keep these fast; the defaults are measured in the README.
  it.each<[keyof Limits, number, string, string, string]>([
    ["vertices", 100, inNetwork("path(100)"), inNetwork("path(101)"), "DS2021@1:11"],
    ["vertices", 100, "graph a = path(50)\ngraph b = star(49)", "graph a = path(50)\ngraph b = star(50)", "DS2021@2:11"],
    ["edges", 99, inNetwork("path(100)"), inNetwork("path(101)"), "DS2026@1:11"],
    ["edges", 11, "graph a = path(6)\ngraph b = append(a, path(1))", "graph a = path(6)\ngraph b = append(a, path(2))", "DS2026@2:11"],
    ["edges", 3, inNetwork("edges { 0 -> 1, 1 -> 2, 2 -> 3 }"), inNetwork("edges { 0 -> 1, 1 -> 2, 2 -> 3, 3 -> 4 }"), "DS2026@1:11"],
    ["pairs", 4950, inNetwork("erdos_renyi(100, 0.1)"), inNetwork("erdos_renyi(101, 0.1)"), "DS2028@1:11"],
    ["layers", 12, inNetwork("path(10)"), inNetwork("path(11)"), "DS2032@2:1"],
    ["blocks", 11, inNetwork("path(10)"), inNetwork("path(11)"), "DS2033@2:1"],
    ["neurons", 20, "network N { input 10 dense 9 output 1 }", "network N { input 10 dense 10 output 1 }", "DS2029@1:1"],
    ["neurons", 23, inNetwork("scalable(path(2), scale=20)"), inNetwork("scalable(path(2), scale=24)"), "DS2029@1:11"],
    ["neurons", 23, inNetwork("scalable(path(2), scale=20)"), inNetwork("scalable(path(2), scale=21)"), "DS2029@2:1"],
    ["connections", 120, "network N { input 10 dense 10 output 2 }", "network N { input 10 dense 10 output 3 }", "DS2030@1:1"],
    ["connections", 130, inNetwork("scalable(path(2), scale=20)"), inNetwork("scalable(path(2), scale=24)"), "DS2030@1:11"],
    ["connections", 130, inNetwork("scalable(path(2), scale=20)"), inNetwork("scalable(path(2), scale=22)"), "DS2030@2:1"],
    ["parameters", 131, "network N { input 10 dense 10 output 1 }", "network N { input 10 dense 10 output 2 }", "DS2031@1:1"],
    ["listed", 12, inNetwork("path(6)"), inNetwork("path(7)"), "DS2034@2:1"],
  ])("%s ≤ %d", (key, limit, below, above, diagnostic) => {
    expect(found(below, { [key]: limit })).toEqual([]);
    expect(found(above, { [key]: limit })).toEqual([diagnostic]);
  });

  it("counts the matrices of kernels planned dense as connections (execution dense over a sparse structure)", () => {
    const source = (execution: string): string => `graph g = erdos_renyi(2000, 0.002, fast=true, seed=1)\nnetwork N { input 2 structure g output 1 execution ${execution} }`;
    expect(found(source("sparse"), { connections: 100_000 })).toEqual([]);
    expect(found(source("dense"), { connections: 100_000 })).toEqual(["DS2030@2:1"]);
    expect(found(source("dense"), { connections: 600_000 })).toEqual([]);
  });

  it("refuses at the default limits from the arguments alone", () => {
    expect(found(`network N { input ${DEFAULT_LIMITS.neurons - 1} output 1 }`)).toEqual([]);
    expect(found(inNetwork(`path(${DEFAULT_LIMITS.vertices + 1})`))).toEqual(["DS2021@1:11"]);
    expect(found(`network N { input ${DEFAULT_LIMITS.neurons} output 1 }`)).toEqual(["DS2029@1:1"]);
    expect(found(`network N { input ${DEFAULT_LIMITS.neurons + 1} output 1 }`)).toEqual(["DS2006@1:19"]);
  });
});
