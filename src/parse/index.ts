import type { IRecognitionException, IToken } from "chevrotain";
import { dsParser, ruleDescriptions } from "../../grammar/parser.js";
import { dsLexer, UnterminatedString } from "../../grammar/tokens.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics/diagnostic.js";
import { sourceLines, withoutByteOrderMark, type Span } from "../diagnostics/span.js";
import type { Program } from "./ast.js";
import { toAst, tokenSpan } from "./cst-to-ast.js";
import { screenTokens } from "./guards.js";
import { NO_SPAN } from "../diagnostics/span.js";

export type { Program } from "./ast.js";

/**
 * Parses `.ds` source text. Never throws: lexical and syntax errors become
 * diagnostics, and the parser recovers so that the declarations it could read
 * are still in the tree for `check` to examine.
 */
export function parse(source: string): { program: Program; diagnostics: Diagnostic[] } {
  // Positions count from after a byte-order mark, as editors show them.
  const text = withoutByteOrderMark(source);
  const bag = new DiagnosticBag();
  const lexed = dsLexer.tokenize(text);
  for (const error of lexed.errors) {
    const start = { offset: error.offset, line: error.line ?? 1, column: error.column ?? 1 };
    const char = text.slice(error.offset, error.offset + 1);
    bag.report(
      "DS1001",
      { start, end: { ...start, offset: start.offset + 1, column: start.column + 1 } },
      [char],
      "names are letters, digits and '_'; comments start with '#' or '//'",
    );
  }
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString) {
      bag.report("DS1004", tokenSpan(t), [], "close the string with '\"' on the same line");
    }
  }

  if (!screenTokens(lexed.tokens, bag)) return { program: { kind: "Program", declarations: [], span: NO_SPAN }, diagnostics: bag.items };
  dsParser.input = lexed.tokens;
  const cst = dsParser.program();
  for (const error of dsParser.errors) bag.add(syntaxError(error, text));
  return { program: toAst(cst, text), diagnostics: bag.items };
}

function syntaxError(error: IRecognitionException, text: string): Diagnostic {
  const bag = new DiagnosticBag();
  const found = describeFound(error.token);
  const span = isEndOfFile(error.token) ? endOfText(text) : tokenSpan(error.token);
  const expected = error.name === "MismatchedTokenException" ? expectedToken(error.message) : undefined;
  if (expected !== undefined && expected !== "EOF") {
    bag.report("DS1002", span, [expected, found]);
  } else if (expected === "EOF" || error.name === "NotAllInputParsedException") {
    bag.report("DS1003", span, [found, ruleDescriptions["program"]!], "a file holds 'graph', 'network' and 'data' declarations");
  } else {
    const rule = error.context.ruleStack.at(-1) ?? "program";
    bag.report("DS1003", span, [found, ruleDescriptions[rule] ?? describeRule(rule)]);
  }
  return bag.items[0]!;
}

/** chevrotain's message reads "Expecting token of type --> '=' <-- but found --> 'x' <--"; the labels are ours. */
function expectedToken(message: string): string {
  return /-->\s*(.*?)\s*<--/.exec(message)?.[1] ?? "something else";
}

function describeFound(token: IToken): string {
  return isEndOfFile(token) ? "the end of the file" : `'${token.image}'`;
}

function isEndOfFile(token: IToken): boolean {
  return token.tokenType.name === "EOF" || Number.isNaN(token.startOffset);
}

function describeRule(rule: string): string {
  return `a ${rule.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`;
}

function endOfText(text: string): Span {
  const lines = sourceLines(text);
  const position = { offset: text.length, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
  return { start: position, end: position };
}
