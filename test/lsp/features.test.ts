import { describe, expect, it } from "vitest";
import { analyze } from "../../src/index.js";
import { analyzeDocument, lspDiagnostics } from "../../src/lsp/analysis.js";
import { completion } from "../../src/lsp/completion.js";
import { cursorContext } from "../../src/lsp/cursor.js";
import { definition } from "../../src/lsp/definition.js";
import { hover } from "../../src/lsp/hover.js";
import { LineIndex } from "../../src/lsp/positions.js";

const URI = "untitled:test.ds";
/** The source with "|" removed, and the offset where it stood. */
function cursor(marked: string): { text: string; offset: number } {
  return { text: marked.replace("|", ""), offset: marked.indexOf("|") };
}
const labels = (marked: string): string[] => {
  const { text, offset } = cursor(marked);
  return completion(analyzeDocument(text, URI), offset).map((i) => i.label);
};

describe("positions", () => {
  // "  input 2 /* " is 13 units, the 𝔸 two more, " */ " four: the name starts at 19.
  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["a lone CR", "\r"],
  ])("put a diagnostic after %s line ends and an astral character where LSP counts it", (_, eol) => {
    const text = `graph g = path(3)${eol}network N {${eol}  input 2 /* 𝔸 */ outptu 1${eol}}${eol}`;
    const [d] = lspDiagnostics(analyzeDocument(text, URI));
    expect(d?.code).toBe("DS2004");
    expect(d?.range).toEqual({ start: { line: 2, character: 19 }, end: { line: 2, character: 25 } });
  });

  it("count a byte-order mark as the editor's first character, which span offsets skip", () => {
    const index = new LineIndex("\uFEFFgraph g = path(3)\n");
    const span = analyze("\uFEFFgraph g = pth(3)\n").diagnostics[0]!.span;
    expect(index.range(span).start).toEqual({ line: 0, character: 11 });
    expect(index.sourceOffset({ line: 0, character: 11 })).toBe(10);
  });

  it("never split a surrogate pair and clamp positions past a line's end", () => {
    const index = new LineIndex("a😀b\r\nc");
    expect(index.range({ start: { offset: 1, line: 1, column: 2 }, end: { offset: 2, line: 1, column: 3 } }).end).toEqual({ line: 0, character: 3 });
    expect(index.offset({ line: 0, character: 99 })).toBe(4);
    expect(index.offset({ line: 1, character: 0 })).toBe(6);
    expect(index.position(6)).toEqual({ line: 1, character: 0 });
  });
});

describe("completion", () => {
  it("offers keywords at the top level and generators after 'graph NAME ='", () => {
    expect(labels("|")).toEqual(["graph", "network", "data", "cell"]);
    expect(labels("graph g = wat|")).toEqual(expect.arrayContaining(["watts_strogatz", "orient", "scalable", "edges"]));
    expect(labels("data d = |")).toEqual(["function", "moons", "spirals", "blobs"]);
  });

  it("offers settings in a body, and each setting's values after it", () => {
    expect(labels("network N {\n  input 2\n  |\n}")).toContain("layer_norm");
    expect(labels("network N {\n  activation |\n}")).toEqual(["relu", "tanh", "sigmoid", "elu", "linear"]);
    expect(labels("graph tree = path(3)\nnetwork N {\n  structure |\n}")).toEqual(["tree"]);
    expect(labels("network N {\n  prune |\n}")).toEqual(["one_shot", "iterative", "gradual"]);
  });

  it("offers a call's remaining argument names, and graphs where a graph goes", () => {
    expect(labels("network N {\n  prune gradual(final=0.9, |)\n}")).toEqual(["initial", "start", "end", "every", "saliency", "scope", "layers", "seed", "unit"]);
    expect(labels("graph t = path(3)\ngraph o = orient(|")).toEqual(expect.arrayContaining(["graph", "rule", "t", "watts_strogatz"]));
    expect(labels("graph g = erdos_renyi(30, 0.2, |")).toEqual(["seed", "directed", "fast"]);
  });

  it("offers nothing inside comments and strings", () => {
    expect(cursorContext("network N { # inp", 17)).toEqual({ kind: "none" });
    expect(cursorContext('data d = function("x', 20)).toEqual({ kind: "none" });
    expect(cursorContext("/* graph */ ", 12)).toEqual({ kind: "declaration" });
  });
});

describe("hover and definition", () => {
  const text = "graph sw = scalable(path(3), 6)\nnetwork N {\n  input 2\n  structure sw\n  output 1\n}\n";
  const analysis = analyzeDocument(text, URI);

  it("give a scalable graph's neurons per layer beside its vertices", () => {
    const value = hover(analysis, text.indexOf("sw\n  output"))?.contents;
    expect(value).toMatchObject({ value: expect.stringContaining("3 vertices, 2 edges, 3 layers") });
    expect(value).toMatchObject({ value: expect.stringContaining("neurons per layer: 2, 2, 2") });
  });

  it("document a generator and its arguments", () => {
    expect(JSON.stringify(hover(analysis, text.indexOf("path")))).toContain("networkx.path_graph");
    const g = analyzeDocument("graph g = watts_strogatz(n=10, k=2, p=0.1)", URI);
    expect(JSON.stringify(hover(g, 25))).toContain("n: integer ≥ 1, required");
  });

  it("say why a graph of a broken file has no counts, and still go to its declaration", () => {
    const broken = analyzeDocument("graph t = path(3)\nnetwork N {\n  structure t\n  output 1 bogus 2\n}\n", URI);
    expect(JSON.stringify(hover(broken, broken.source.indexOf("t\n  output")))).toContain("not built: the file has errors");
    expect(definition(broken, URI, broken.source.indexOf("t\n  output"))?.range).toEqual({ start: { line: 0, character: 6 }, end: { line: 0, character: 7 } });
    expect(definition(broken, URI, broken.source.indexOf("output"))).toBeNull();
  });
});
