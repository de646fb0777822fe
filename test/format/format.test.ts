import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, format } from "../../src/index.js";
import { MAX_WIDTH, shape } from "../../src/format/index.js";
import { parse } from "../../src/parse/index.js";
import { grammarProgram, mutatedExample, wellTypedProgram } from "../fuzz/inputs.js";
import { relayout } from "./layouts.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".ds"))
  .sort()
  .map((f) => ({ file: join(EXAMPLES, f), source: readFileSync(join(EXAMPLES, f), "utf8") }));

const fmt = (source: string): string => {
  const result = format(source);
  expect(result.diagnostics).toEqual([]);
  return result.text;
};

/** The comments of a text in order, by the lexer's rules (a string never holds one: the tokens are the lexer's). */
const commentsOf = (text: string): string[] =>
  [...text.matchAll(/"(?:[^"\\\r\n]|\\.)*"|((?:#|\/\/)[^\r\n]*|\/\*[\s\S]*?\*\/)/g)].flatMap((m) => (m[1] === undefined ? [] : [m[1].replace(/\r\n?/g, "\n")]));

describe("dsc fmt on the examples", () => {
  it.each(examples.map((e) => [e.file.split("/").at(-1)!, e] as const))("%s is already in the canonical layout", (_, { source }) => {
    expect(fmt(source)).toBe(source);
  });

  it("gives every example, laid out in other ways, back its canonical text and a byte-identical module", async () => {
    for (const { file, source } of examples) {
      const expected = (await compile(source, { fileName: file })).code;
      expect(expected).toBeDefined();
      for (const variant of fc.sample(relayout(source), { seed: 3, numRuns: 2 })) {
        const formatted = fmt(variant);
        expect(fmt(formatted)).toBe(formatted);
        expect(commentsOf(formatted)).toEqual(commentsOf(variant));
        expect((await compile(variant, { fileName: file })).code).toBe(expected);
        expect((await compile(formatted, { fileName: file })).code).toBe(expected);
      }
    }
  });
});

describe("dsc fmt on generated programs", () => {
  it("is idempotent and keeps the tree and every comment, for 1,000 programs in random layouts", () => {
    const programs = fc.oneof(grammarProgram, wellTypedProgram, mutatedExample).chain(relayout);
    let formattedCount = 0;
    fc.assert(
      fc.property(programs, (source) => {
        const parsed = parse(source);
        const result = format(source);
        if (parsed.diagnostics.length > 0) {
          expect(result.text).toBe(source);
          expect(result.diagnostics.length).toBeGreaterThan(0);
          return;
        }
        formattedCount++;
        expect(result.diagnostics).toEqual([]);
        expect(format(result.text).text).toBe(result.text);
        expect(shape(parse(result.text).program)).toBe(shape(parsed.program));
        expect(commentsOf(result.text)).toEqual(commentsOf(source));
        // One line break at the end, after code or a comment (never a blank line).
        expect(/[^\r\n](\r\n|\r|\n)$/.test(result.text)).toBe(result.text !== "");
      }),
      { numRuns: 1000, seed: 15 },
    );
    expect(formattedCount).toBeGreaterThan(500);
  });

  it("compiles well-typed programs, formatted, to byte-identical modules", async () => {
    for (const source of fc.sample(wellTypedProgram.chain(relayout), { seed: 7, numRuns: 25 })) {
      const before = await compile(source, { fileName: "g.ds" });
      const after = await compile(fmt(source), { fileName: "g.ds" });
      expect(after.code).toBe(before.code);
      expect(after.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(before.diagnostics.map((d) => `${d.code} ${d.message}`));
    }
  });
});

describe("the canonical layout", () => {
  it("spaces declarations, calls, lists and edges, and indents network bodies by two", () => {
    const source =
      "graph   g=balanced_tree( r = 2,h=3 )\ngraph d = edges{0->1->3,0--2 ,}\nnetwork N{input [1,28 ,28] dense[ 3,4,] structure g\noutput 10 mask random(density=.5)}\ndata m=moons(samples=10)";
    expect(fmt(source)).toBe(
      [
        "graph g = balanced_tree(r=2, h=3)",
        "graph d = edges { 0 -> 1 -> 3, 0 -- 2 }",
        "network N {",
        "  input [1, 28, 28]",
        "  dense [3, 4]",
        "  structure g",
        "  output 10",
        "  mask random(density=.5)",
        "}",
        "data m = moons(samples=10)",
        "",
      ].join("\n"),
    );
  });

  it(`breaks a call longer than ${MAX_WIDTH} columns into one argument per line, and inner ones only if they still do not fit`, () => {
    const long = `graph g = scalable(orient(watts_strogatz(n=32, k=4, p=0.5, seed=42), random, seed=1), scale=1024, proportions=dirichlet(alpha=1, seed=7))`;
    expect(long.length).toBeGreaterThan(MAX_WIDTH);
    expect(fmt(long)).toBe(
      ["graph g = scalable(", "  orient(watts_strogatz(n=32, k=4, p=0.5, seed=42), random, seed=1),", "  scale=1024,", "  proportions=dirichlet(alpha=1, seed=7),", ")", ""].join(
        "\n",
      ),
    );
    const list = `network N {\n  input 1\n  dense [${Array.from({ length: 40 }, (_, i) => i + 1).join(", ")}]\n  output 1\n}\n`;
    expect(fmt(list)).toContain("  dense [\n    1,\n    2,\n");
    expect(
      fmt(list)
        .split("\n")
        .every((line) => line.length <= MAX_WIDTH),
    ).toBe(true);
  });

  it("keeps comments of every kind where they are: own lines, trailing, between settings, inside calls and at the end", () => {
    const source = [
      "/* a block",
      "   comment */",
      "# a line comment",
      "graph g = path(3)   // trailing, slashes",
      "network N {   # after the brace",
      "  input 4",
      "  # between settings",
      "  structure g /* trailing block */",
      "  mask random(",
      "    density=0.5,  # why this density",
      "    # before seed",
      "    seed=1,",
      "  )",
      "  output 2",
      "  # before the closing brace",
      "}",
      "# at the end of the file",
    ].join("\n");
    expect(fmt(source)).toBe(
      [
        "/* a block",
        "   comment */",
        "# a line comment",
        "graph g = path(3)  // trailing, slashes",
        "network N {        # after the brace",
        "  input 4",
        "  # between settings",
        "  structure g  /* trailing block */",
        "  mask random(",
        "    density=0.5,  # why this density",
        "    # before seed",
        "    seed=1,",
        "  )",
        "  output 2",
        "  # before the closing brace",
        "}",
        "# at the end of the file",
        "",
      ].join("\n"),
    );
  });

  it("aligns the trailing comments of consecutive lines two columns past the longest code", () => {
    expect(fmt("network N {\n  input [1, 28, 28] # one\n  structure g # two\n  output 10\n  activation relu     # three\n}\ngraph g = path(2)")).toBe(
      "network N {\n  input [1, 28, 28]  # one\n  structure g        # two\n  output 10\n  activation relu  # three\n}\ngraph g = path(2)\n",
    );
  });

  it("moves a comment inside a setting or declaration to the end of its line, never dropping it", () => {
    expect(fmt("network N { input /* c */ 4 output\n# own\n2 }")).toBe("network N {\n  input 4  /* c */\n  output 2\n  # own\n}\n");
  });

  it("keeps blank-line groups as one blank line, drops them at the top of a body and of the file", () => {
    expect(fmt("\n\n\ngraph a = path(1)\n\n\n\ngraph b = path(2)\ngraph c = path(3)\nnetwork N {\n\n  input 1\n\n\n  output 1\n\n}\n\n\n")).toBe(
      "graph a = path(1)\n\ngraph b = path(2)\ngraph c = path(3)\nnetwork N {\n  input 1\n\n  output 1\n}\n",
    );
  });

  it("ends the file with one line break of the kind most lines use, keeps a byte-order mark, and leaves an empty file empty", () => {
    expect(fmt("graph a = path(1)\r\ngraph b = path(2)\r\n# x\n")).toBe("graph a = path(1)\r\ngraph b = path(2)\r\n# x\r\n");
    expect(fmt("graph a = path(1)\rgraph b = path(2)")).toBe("graph a = path(1)\rgraph b = path(2)\r");
    expect(fmt("\uFEFFgraph a = path(1)\n\n\n")).toBe("\uFEFFgraph a = path(1)\n");
    expect(fmt("")).toBe("");
    expect(fmt("\n\n  \n")).toBe("");
    expect(fmt("network N {}")).toBe("network N {}\n");
  });

  it("refuses a source with syntax errors, returning it untouched with the diagnostics", () => {
    const source = "graph g = path(3\nnetwork N { input 4 ";
    const result = format(source, { fileName: "bad.ds" });
    expect(result.text).toBe(source);
    expect(result.diagnostics.map((d) => d.code)).toContain("DS1002");
    expect(result.diagnostics.every((d) => d.file === "bad.ds")).toBe(true);
    expect(format("graph g = path(3) @").diagnostics.map((d) => d.code)).toEqual(["DS1001"]);
  });
});
