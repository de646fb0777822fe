import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { IToken } from "chevrotain";
import oniguruma from "vscode-oniguruma";
import vsctm from "vscode-textmate";
import { describe, expect, it } from "vitest";
import { dsLexer } from "../../grammar/tokens.js";
import { parse } from "../../src/parse/index.js";
import { CALLEES, SETTINGS } from "../../src/lsp/vocabulary.js";

const ROOT = join(import.meta.dirname, "..", "..");
const GRAMMAR = join(ROOT, "syntaxes", "ds.tmLanguage.json");
const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".ds"));

/** The grammar loaded as editors load it: vscode-textmate over the Oniguruma regex engine. */
async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = readFileSync(createRequire(import.meta.url).resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => vsctm.parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR),
  });
  const grammar = await registry.loadGrammar("source.ds");
  if (grammar === null) throw new Error("the grammar did not load");
  return grammar;
}

/** The innermost scope at every offset of the text, line by line as an editor tokenizes. */
function scopesOf(grammar: vsctm.IGrammar, text: string): string[] {
  const scopes: string[] = [];
  let state = vsctm.INITIAL;
  for (const line of text.split("\n")) {
    const result = grammar.tokenizeLine(line, state);
    const lineScopes = Array.from({ length: line.length }, () => "");
    for (const token of result.tokens) lineScopes.fill(token.scopes.at(-1)!, token.startIndex, Math.min(token.endIndex, line.length));
    scopes.push(...lineScopes, "newline");
    state = result.ruleStack;
  }
  return scopes;
}

const CALLEE_NAMES = new Set(Object.values(CALLEES).flatMap((callees) => callees.map((c) => c.name)));

/** What the lexer (the language's own definition) says a token is, as the scope the grammar must give it. */
function expectedScope(token: IToken, [previous, next]: readonly (IToken | undefined)[], settingKeys: ReadonlySet<number>): string | undefined {
  const type = token.tokenType.name;
  if (type === "Graph" || type === "Network" || type === "Data") return "keyword.declaration.ds";
  if (type === "Edges") return "keyword.other.edges.ds";
  if (type === "True" || type === "False") return "constant.language.boolean.ds";
  if (type === "NumberLiteral") return "constant.numeric.ds";
  if (type === "StringLiteral") return "string.quoted.double.ds";
  if (type === "Arrow" || type === "Undirected") return "keyword.operator.edge.ds";
  if (type === "Equals") return "keyword.operator.assignment.ds";
  if (type !== "Identifier") return undefined;
  if (settingKeys.has(token.startOffset)) return "variable.other.property.setting.ds";
  if (next?.tokenType.name === "LParen" && CALLEE_NAMES.has(token.image)) return "support.function.generator.ds";
  const startsArgument = previous?.tokenType.name === "LParen" || previous?.tokenType.name === "Comma";
  if (startsArgument && next?.tokenType.name === "Equals") return "variable.parameter.ds";
  return undefined;
}

describe("the TextMate grammar", () => {
  it.each(EXAMPLES)("classifies every keyword, setting, generator, number, string, operator and comment of %s as the lexer reads them", async (file) => {
    const text = readFileSync(join(ROOT, "examples", file), "utf8");
    expect(text).not.toContain("\r");
    const scopes = scopesOf(await loadGrammar(), text);
    const { tokens } = dsLexer.tokenize(text);
    const settingKeys = new Set(parse(text).program.declarations.flatMap((d) => (d.kind === "NetworkDeclaration" ? d.settings.map((s) => s.key.span.start.offset) : [])));
    let checked = 0;
    tokens.forEach((token, i) => {
      const expected = expectedScope(token, [tokens[i - 1], tokens[i + 1]], settingKeys);
      if (expected === undefined) return;
      expect({ token: token.image, line: token.startLine, scope: scopes[token.startOffset] }).toEqual({ token: token.image, line: token.startLine, scope: expected });
      checked += 1;
    });
    let comments = 0;
    // Every comment starts in a gap between tokens; there the grammar must be in a comment scope.
    const gaps = tokens.map((t, i) => [t.endOffset! + 1, tokens[i + 1]?.startOffset ?? text.length] as const);
    for (const [from, to] of [[0, tokens[0]?.startOffset ?? text.length] as const, ...gaps]) {
      for (const match of text.slice(from, to).matchAll(/#|\/\/|\/\*/g)) {
        const at = from + match.index;
        if (text.slice(from, at).match(/\/\*(?![\s\S]*\*\/)|#[^\n]*$|\/\/[^\n]*$/)) continue; // inside an earlier comment
        expect({ at, scope: scopes[at] }).toEqual({ at, scope: expect.stringMatching(/^comment\./) });
        comments += 1;
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(comments).toBeGreaterThan(0);
  });
});

describe("the grammar's word lists", () => {
  const grammar = JSON.parse(readFileSync(GRAMMAR, "utf8")) as { repository: Record<string, { patterns: { match?: string; name?: string }[] }> };
  const words = (scope: string): string[] =>
    Object.values(grammar.repository)
      .flatMap((rule) => rule.patterns ?? [])
      .filter((p) => p.name === scope)
      .flatMap((p) => /\(\?:([\w|]+)\)/.exec(p.match ?? "")?.[1]?.split("|") ?? []);

  it("name every setting and every callee the language server knows", () => {
    expect(new Set(words("variable.other.property.setting.ds"))).toEqual(new Set(SETTINGS.map((s) => s.name)));
    expect(new Set(words("support.function.generator.ds"))).toEqual(CALLEE_NAMES);
  });
});
