import { describe, expect, it } from "vitest";
import { analyze } from "../../src/index.js";
import { diagnosticTable, type DiagnosticCode } from "../../src/diagnostics/codes.js";

/**
 * Bad input, the diagnostic it must produce and where. Together with the
 * internal-error test this triggers every code in the table.
 */
const cases: readonly { readonly code: DiagnosticCode; readonly at: string; readonly source: string }[] = [
  { code: "DS1001", at: "1:35", source: "graph g = balanced_tree(r=2, h=3) @" },
  { code: "DS1002", at: "1:9", source: "graph g balanced_tree(r=2, h=3)" },
  { code: "DS1003", at: "1:19", source: "network N { input }" },
  { code: "DS1004", at: "2:8", source: 'network N {\n  note "abc\n}' },
  { code: "DS1010", at: "1:24", source: 'data f = function("x + * 2", inputs=[x])' },
  { code: "DS2001", at: "2:7", source: "graph g = balanced_tree(r=2, h=1)\ngraph g = balanced_tree(r=2, h=2)" },
  { code: "DS2001", at: "2:9", source: "network net { input 1 output 1 }\nnetwork Net { input 1 output 1 }" },
  { code: "DS2002", at: "1:11", source: "graph g = small_world(n=10)" },
  { code: "DS2003", at: "3:13", source: "network N {\n  input 4\n  structure tree\n  output 2\n}" },
  { code: "DS2004", at: "3:3", source: "network N {\n  input 4\n  dens 3\n  output 2\n}" },
  { code: "DS2005", at: "1:27", source: "graph t = balanced_tree(r=2.5, h=3)" },
  { code: "DS2005", at: "2:23", source: "network M { input 1 output 1 }\nnetwork N { structure M input 1 output 1 }" },
  { code: "DS2005", at: "1:19", source: "network N { input [] output 1 }" },
  { code: "DS2006", at: "1:32", source: "graph t = balanced_tree(r=2, h=-1)" },
  { code: "DS2006", at: "1:39", source: "graph w = watts_strogatz(n=10, k=4, p=1.5, seed=1)" },
  { code: "DS2006", at: "1:31", source: "graph e = erdos_renyi(n=10, p=-0.1, seed=1)" },
  { code: "DS2006", at: "1:31", source: "graph w = watts_strogatz(n=4, k=4, p=0.1)" },
  { code: "DS2006", at: "3:9", source: "network N {\n  input 4\n  dense 0\n  output 2\n}" },
  { code: "DS2006", at: "1:28", source: "network N { input 4 output 0 }" },
  { code: "DS2007", at: "1:11", source: "graph g = grid_2d(3)" },
  { code: "DS2008", at: "1:27", source: "graph g = grid_2d(rows=3, colums=4)" },
  { code: "DS2009", at: "1:30", source: "graph g = balanced_tree(r=2, r=3)" },
  { code: "DS2010", at: "1:31", source: "graph g = balanced_tree(2, 3, 4)" },
  { code: "DS2011", at: "1:27", source: "graph g = grid_2d(rows=3, 4)" },
  { code: "DS2012", at: "1:9", source: "network N {\n  output 2\n}" },
  { code: "DS2013", at: "1:9", source: "network N {\n  input 4\n}" },
  { code: "DS2014", at: "3:3", source: "network N {\n  input 4\n  input 5\n  output 2\n}" },
  { code: "DS2015", at: "1:11", source: "graph g = edges { }" },
  { code: "DS2016", at: "1:27", source: "graph g = edges { 0 -> 1, 1 -- 2 }" },
  { code: "DS2017", at: "4:14", source: "network N {\n  input 4\n  output 2\n  activation rleu\n}" },
  { code: "DS2019", at: "1:19", source: "graph g = edges { 0 -> 0 }" },
  { code: "DS2020", at: "1:27", source: "graph g = edges { 0 -> 1, 0 -> 1 }" },
  { code: "DS2021", at: "1:11", source: "graph t = balanced_tree(r=10, h=9)" },
  { code: "DS2022", at: "1:11", source: 'graph g = file("test/fixtures/graphs/missing.graphml")' },
  { code: "DS2023", at: "1:11", source: 'graph g = file("test/fixtures/graphs/broken.graphml")' },
  { code: "DS2024", at: "2:5", source: 'graph g =\n    file("test/fixtures/graphs/unknown-node.json")' },
  { code: "DS2025", at: "2:11", source: "graph d = edges { 0 -> 1 }\ngraph g = orient(d, bfs)" },
  { code: "DS2026", at: "1:11", source: "graph g = complete(n=20000)" },
  { code: "DS2040", at: "1:10", source: "data m = mooons(samples=10)" },
  { code: "DS2041", at: "1:24", source: 'data f = function("x + z", inputs=[x])' },
  { code: "DS2042", at: "1:20", source: 'data f = function("log(x)", inputs=[x], domain=[-1, 1], samples=10)' },
  { code: "DS2043", at: "1:35", source: 'data f = function("x", inputs=[x, x])' },
  { code: "DS2044", at: "1:32", source: 'data f = function("x", inputs=[pi])' },
  { code: "DS2045", at: "1:20", source: 'data f = function("x(2)", inputs=[x])' },
  { code: "DS2046", at: "1:20", source: 'data f = function("sin x", inputs=[x])' },
  { code: "DS2050", at: "1:39", source: "network N { input [1, 8, 8] features [convv(4)] output 2 }" },
  { code: "DS2051", at: "1:37", source: "network N { input [1, 8, 8] dense 3 features [conv(4)] output 2 }" },
  { code: "DS2052", at: "1:39", source: "network N { input [1, 8, 8] features [conv(4, kernel=9)] output 2 }" },
  { code: "DS2053", at: "1:39", source: "network N { input [1, 8, 8] features [conv(4, kernel=3, dilation=4)] output 2 }" },
  { code: "DS2054", at: "1:19", source: "network N { input 64 features [conv(4)] output 2 }" },
  { code: "DS2055", at: "1:39", source: "network N { input [1, 8, 8] features [flatten(), conv(4)] output 2 }" },
  { code: "DS2006", at: "1:54", source: "network N { input [1, 8, 8] features [conv(4, stride=0)] output 2 }" },
  { code: "DS2057", at: "1:37", source: "network N { input [20, 1] recurrent lstn(hidden=8) output 2 }" },
  { code: "DS2058", at: "1:19", source: "network N { input 20 recurrent lstm(hidden=8) output 2 }" },
  { code: "DS2059", at: "1:35", source: "network N { input [20, 1] dense 4 recurrent gru(hidden=8) output 2 }" },
  { code: "DS2060", at: "1:48", source: "network N { input [1, 8, 8] features [conv(4)] recurrent rnn(hidden=8) output 2 }" },
  { code: "DS2061", at: "2:47", source: 'graph g = file("test/recurrent/fixtures/empty.json")\nnetwork R { input [5, 2] recurrent rnn(hidden=g) output 3 }' },
  { code: "DS2062", at: "2:51", source: "graph g = scalable(path(3), scale=9)\nnetwork R { input [5, 2] recurrent gru(hidden=[3, g]) output 3 }" },
  { code: "DS2063", at: "1:19", source: "network R { input [5, 1] recurrent lstm(hidden=4, padded=true) output 3 }" },
  { code: "DS2070", at: "1:20", source: "cell c = [conv(2), flatten()]" },
  { code: "DS2071", at: "1:6", source: "cell c = [batch_norm()]" },
  { code: "DS2072", at: "2:47", source: "graph g = path(3)\nnetwork N { input [1, 4, 4] structure g cells nope output 2 }" },
  { code: "DS2073", at: "2:29", source: "cell c = [conv(2)]\nnetwork N { input [1, 4, 4] cells c output 2 }" },
  { code: "DS2074", at: "2:41", source: "graph g = path(3)\nnetwork N { input [1, 4, 4] structure g head 8 output 2 }" },
  { code: "DS2075", at: "1:11", source: "cell c = [conv(2), conv(2, kernel=3)]\ngraph g = path(2)\nnetwork N { input [1, 5, 5] structure g cells c output 2 }" },
  { code: "DS2027", at: "1:70", source: "network N { input 4 dense 3 output 2 mask random(density=0.5, layers=[dense2]) }" },
  { code: "DS1005", at: "1:78", source: "network N { x " + "[".repeat(64) },
  { code: "DS1006", at: "1:18", source: "graph g = path(n=1e400)" },
  { code: "DS2028", at: "1:11", source: "graph g = erdos_renyi(n=20000, p=0.0001)" },
  { code: "DS2029", at: "1:1", source: "network N { input [1000, 1000, 2] output 2 }" },
  { code: "DS2030", at: "1:1", source: "network N { input 4000 dense 3000 output 2 }" },
  { code: "DS2031", at: "1:1", source: "network N { input 3000 dense 3000 output 2 mask learnable() }" },
  { code: "DS2032", at: "2:1", source: "graph g = path(60000)\nnetwork N { input 1 structure g output 1 }" },
  { code: "DS2033", at: "2:1", source: "graph g = complete(700)\nnetwork N { input 1 structure g output 1 }" },
  {
    code: "DS2034",
    at: "3:1",
    source: "graph g = scalable(watts_strogatz(100, 4, 0.5), scale=17000)\nnetwork A { input 1 structure g output 1 }\nnetwork B { input 1 structure g output 1 }",
  },
  { code: "DS2035", at: "1:24", source: "graph g = edges { 0 -> 1e308 }" },
  { code: "DS3001", at: "1:35", source: "graph g = edges { 0 -> 1, 1 -> 2, 2 -> 0 }" },
  {
    code: "DS3002",
    at: "4:3",
    source: "graph t = balanced_tree(r=2, h=1)\nnetwork N {\n  input 4\n  structure t\n  output 2\n  layer_norm true\n}",
  },
];

describe("diagnostics for bad input", () => {
  it.each(cases)("$code at $at", ({ code, at, source }) => {
    const { diagnostics } = analyze(source, { fileName: "bad.ds" });
    const found = diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}`);
    expect(found).toContain(`${code}@${at}`);
    const d = diagnostics.find((x) => x.code === code)!;
    expect(d.file).toBe("bad.ds");
    expect(d.message.length).toBeGreaterThan(10);
    expect(d.message).not.toMatch(/\{\d\}/);
  });

  it("covers every code of the table but the internal error", () => {
    const covered = new Set(cases.map((c) => c.code));
    const missing = Object.keys(diagnosticTable).filter((code) => !covered.has(code as DiagnosticCode) && code !== "DS9001");
    expect(missing).toEqual([]);
  });

  it("reports every independent error of a file in one run", () => {
    const source = [
      "graph a = balanced_tree(r=0, h=2)",
      "graph b = watts_strogatz(n=10, k=2, p=2)",
      "graph c = grid_2d(rows=3, cols=3, periodic=maybe)",
      "network N {",
      "  input 0",
      "  structure nowhere",
      "  activation swish",
      "}",
    ].join("\n");
    const codes = analyze(source).diagnostics.map((d) => `${d.code}@${d.span.start.line}`);
    expect(codes).toEqual(expect.arrayContaining(["DS2006@1", "DS2006@2", "DS2005@3", "DS2006@5", "DS2003@6", "DS2017@7", "DS2013@4"]));
  });

  it("suggests the closest name for a misspelling", () => {
    const [d] = analyze("graph w = watts_strogats(n=10, k=2, p=0.1)").diagnostics;
    expect(d?.hint).toBe("did you mean 'watts_strogatz'?");
  });
});
