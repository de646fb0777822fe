import { describe, expect, it } from "vitest";
import type { Span } from "../../src/diagnostics/span.js";
import type { Call, EdgeList, GraphDeclaration, NetworkDeclaration } from "../../src/parse/ast.js";
import { parse } from "../../src/parse/index.js";

const at = (span: Span): string => `${span.start.line}:${span.start.column}-${span.end.line}:${span.end.column}`;

describe("parse", () => {
  const source = [
    "# a comment",
    "graph sw = watts_strogatz(100, k=4, p=0.5e0,) // trailing comma",
    "/* a block",
    "   comment */ graph d = edges { 0 -> 1 -> 2, 0 -- 2, }",
    "network N {",
    '  input [1, 28, 28]  note "a \\"quoted\\" word"',
    "  scale -1.5 flag true",
    "}",
  ].join("\n");
  const { program, diagnostics } = parse(source);

  it("reads comments, trailing commas, strings with escapes and negative numbers without complaint", () => {
    expect(diagnostics).toEqual([]);
    expect(program.declarations.map((d) => `${d.kind}:${d.name.name}`)).toEqual(["GraphDeclaration:sw", "GraphDeclaration:d", "NetworkDeclaration:N"]);
  });

  it("keeps every node's span", () => {
    const sw = program.declarations[0] as GraphDeclaration;
    const call = sw.value as Call;
    expect(at(sw.span)).toBe("2:1-2:46");
    expect(at(call.callee.span)).toBe("2:12-2:26");
    expect(call.args.map((a) => `${a.name?.name ?? "_"}=${a.value.kind}@${at(a.span)}`)).toEqual([
      "_=NumberLiteral@2:27-2:30",
      "k=NumberLiteral@2:32-2:35",
      "p=NumberLiteral@2:37-2:44",
    ]);
    const p = call.args[2]!.value;
    expect(p.kind === "NumberLiteral" && [p.value, p.raw]).toEqual([0.5, "0.5e0"]);
  });

  it("splits edge chains into single edges, each spanning its two ends", () => {
    const d = (program.declarations[1] as GraphDeclaration).value as EdgeList;
    expect(d.edges.map((e) => `${e.source.value}${e.directed ? "->" : "--"}${e.target.value}@${at(e.span)}`)).toEqual(["0->1@4:33-4:39", "1->2@4:38-4:44", "0--2@4:46-4:52"]);
  });

  it("reads a network body's settings as key and value", () => {
    const n = program.declarations[2] as NetworkDeclaration;
    const shown = n.settings.map((s) => {
      const v = s.value;
      const value =
        v.kind === "ListLiteral"
          ? v.items.map((i) => (i.kind === "NumberLiteral" ? i.value : "?")).join(",")
          : v.kind === "StringLiteral" || v.kind === "BooleanLiteral" || v.kind === "NumberLiteral"
            ? String(v.value)
            : v.kind;
      return `${s.key.name}=${value}`;
    });
    expect(shown).toEqual(["input=1,28,28", 'note=a "quoted" word', "scale=-1.5", "flag=true"]);
  });

  it("recovers: an error in one declaration does not hide the next, and both errors are reported", () => {
    const result = parse("graph a = balanced_tree(r=2 h=3)\ngraph b balanced_tree(r=2, h=3)\nnetwork N { input 4 output 2 }");
    expect(result.diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}`)).toEqual(["DS1002@1:29", "DS1002@2:9"]);
    expect(result.program.declarations.map((d) => d.name.name)).toContain("N");
  });

  it("says what it expected and what it found", () => {
    const [d] = parse("network N { input 4 output }").diagnostics;
    expect(d?.message).toBe("'}' cannot start here; expected a value");
    const [eof] = parse("network N { input 4").diagnostics;
    expect(eof?.message).toBe("expected '}' but found the end of the file");
  });
});
