/** One rule for line breaks everywhere: CRLF, a lone CR and LF end lines in the lexer, comments and diagnostics alike. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/diagnostics/format.js";
import { analyze } from "../../src/index.js";

const example = readFileSync(join(import.meta.dirname, "..", "..", "examples", "small_world.ds"), "utf8");
const errorsOf = (source: string) => analyze(source).diagnostics.filter((d) => d.severity === "error");

describe("line breaks", () => {
  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ])("small_world.ds with %s line endings compiles to its network", (_name, eol) => {
    const { plans, diagnostics } = analyze(example.replace(/\r?\n/g, eol));
    expect(diagnostics).toEqual([]);
    expect(plans!.map((p) => p.network.name)).toEqual(["SmallWorld"]);
  });

  it("a lone CR ends a line comment, so the next line is read (and its error placed on line 2)", () => {
    const [error] = errorsOf("graph a = path(3) # note\rgraph b = nope(1)");
    expect(error!.code).toBe("DS2002");
    expect([error!.span.start.line, error!.span.start.column]).toEqual([2, 11]);
  });

  it("places the caret under the named line and column for CR, CRLF, tabs and astral characters", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const source = `graph a = path(3)${eol}\tgraph b = nope(1) # 𝔾`;
      const [error] = errorsOf(source);
      const printed = formatDiagnostic(error!, source).split("\n");
      expect(printed[0]).toBe("<input>:2:12: error DS2002: unknown graph generator 'nope'");
      expect(printed[1]).toBe("2 | \tgraph b = nope(1) # 𝔾");
      expect(printed[2]).toBe("  | \t          ^^^^");
    }
    const astral = 'graph g = file("𝔾𝔾.json") graph h = nope(2)';
    const [error] = errorsOf(astral);
    const caret = formatDiagnostic(error!, astral).split("\n")[2]!;
    // Two astral characters are four UTF-16 units of column but two places on screen.
    expect(caret.indexOf("^") - "  | ".length).toBe([...astral.slice(0, error!.span.start.column - 1)].length);
  });

  it("accepts a UTF-8 byte-order mark, and counts columns after it", () => {
    const source = "\uFEFFgraph a = nope(3)";
    const [error] = errorsOf(source);
    expect([error!.code, error!.span.start.line, error!.span.start.column]).toEqual(["DS2002", 1, 11]);
    expect(formatDiagnostic(error!, source).split("\n")[2]).toBe("  |           ^^^^");
    expect(analyze("\uFEFF" + example).diagnostics).toEqual([]);
  });
});
