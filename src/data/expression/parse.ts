import type { CstNode, IRecognitionException, IToken } from "chevrotain";
import { Close, ExpressionName, expressionLexer, expressionParser, Open } from "../../../grammar/expression.js";
import { didYouMean } from "../../check/suggest.js";
import type { DiagnosticCode } from "../../diagnostics/codes.js";
import type { Span } from "../../diagnostics/span.js";
import { CONSTANTS, FUNCTIONS, type ChainOperator, type Expression, type FunctionName } from "./expression.js";

/** The string literal an expression was written in: its span in the .ds file and its text as written (quotes and escapes included). */
export interface StringPlace {
  readonly span: Span;
  readonly raw: string;
}

export interface ExpressionProblem {
  readonly code: DiagnosticCode;
  readonly span: Span;
  readonly args: readonly (string | number)[];
  readonly hint?: string;
}

/** Longer expressions, or deeper parentheses, are refused before parsing: the parser recurses once per parenthesis. */
export const MAX_EXPRESSION_LENGTH = 10_000;
export const MAX_EXPRESSION_DEPTH = 64;

/**
 * Parses the expression `text` (the value of the string at `place`) over the
 * inputs `inputs`. Every problem is placed at its own characters in the .ds
 * file; the expression is returned only when there is none.
 */
export function parseExpression(text: string, inputs: readonly string[], place: StringPlace): { expression?: Expression; problems: ExpressionProblem[] } {
  const spanOf = spanMapper(place);
  const fail = (from: number, to: number, message: string): { problems: ExpressionProblem[] } => ({
    problems: [{ code: "DS1010", span: spanOf(from, to), args: [message] }],
  });
  if (text.length > MAX_EXPRESSION_LENGTH) return fail(0, text.length, `it has ${text.length} characters; the limit is ${MAX_EXPRESSION_LENGTH}`);
  if (text.trim() === "") return fail(0, text.length, "the expression is empty");
  const lexed = expressionLexer.tokenize(text);
  const bad = lexed.errors[0];
  if (bad !== undefined) return fail(bad.offset, bad.offset + 1, `unexpected character '${text[bad.offset]}'`);
  const tooDeep = tooDeepAt(lexed.tokens);
  if (tooDeep !== undefined) return fail(tooDeep.startOffset, tooDeep.startOffset + 1, `parentheses nest more than ${MAX_EXPRESSION_DEPTH} deep`);

  expressionParser.input = lexed.tokens;
  const cst = expressionParser.expression();
  const error = expressionParser.errors[0];
  if (error !== undefined) {
    const bare = bareFunctionBefore(error.token, lexed.tokens);
    if (bare !== undefined) return { problems: [{ code: "DS2046", span: spanOf(bare.startOffset, bare.startOffset + bare.image.length), args: [bare.image] }] };
    const { from, to, message } = describeSyntaxError(error, text);
    return fail(from, to, message);
  }
  const problems: ExpressionProblem[] = [];
  const expression = new Converter(text, inputs, spanOf, problems).expression(cst);
  return problems.length === 0 ? { expression, problems } : { problems };
}

/** Maps a stretch of the string's value to the file: escapes make the two differ. */
function spanMapper(place: StringPlace): (from: number, to: number) => Span {
  const offsets: number[] = [];
  for (let i = 1; i < place.raw.length && !(place.raw[i] === '"' && i === place.raw.length - 1); i++) {
    if (place.raw[i] === "\\") i++;
    offsets.push(i);
  }
  offsets.push(offsets.length === 0 ? 1 : offsets.at(-1)! + 1);
  const at = (index: number): { offset: number; line: number; column: number } => {
    const shift = offsets[Math.min(index, offsets.length - 1)]!;
    const start = place.span.start;
    return { offset: start.offset + shift, line: start.line, column: start.column + shift };
  };
  return (from, to) => {
    const start = at(from);
    const end = at(Math.max(to, from + 1));
    // Past the end of the string (an expression cut short) the span is the closing quote.
    return end.offset > start.offset ? { start, end } : { start, end: { ...start, offset: start.offset + 1, column: start.column + 1 } };
  };
}

function tooDeepAt(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === Open && ++depth > MAX_EXPRESSION_DEPTH) return t;
    if (t.tokenType === Close) depth--;
  }
  return undefined;
}

/** `sin x`: the parser stops at `x`, but the mistake is the function written without parentheses. */
function bareFunctionBefore(at: IToken, tokens: readonly IToken[]): IToken | undefined {
  const index = Number.isNaN(at.startOffset) ? tokens.length : tokens.findIndex((t) => t.startOffset === at.startOffset);
  const before = tokens[index - 1];
  return before !== undefined && before.tokenType === ExpressionName && Object.hasOwn(FUNCTIONS, before.image) && at.tokenType !== Open ? before : undefined;
}

function describeSyntaxError(error: IRecognitionException, text: string): { from: number; to: number; message: string } {
  const t = error.token;
  const atEnd = t.tokenType.name === "EOF" || Number.isNaN(t.startOffset);
  const from = atEnd ? text.length : t.startOffset;
  const to = atEnd ? text.length + 1 : t.startOffset + t.image.length;
  const found = atEnd ? "the end of the expression" : `'${t.image}'`;
  if (error.name === "MismatchedTokenException") {
    const expected = /-->\s*(.*?)\s*<--/.exec(error.message)?.[1] ?? "something else";
    return { from, to, message: `expected ${expected} but found ${found}` };
  }
  if (error.name === "NotAllInputParsedException") return { from, to, message: `${found} cannot follow here; expected an operator or the end` };
  return { from, to, message: `${found} cannot start here; expected a number, an input, a function call or '('` };
}

type Place = { readonly from: number; readonly to: number; readonly span: Span };

/** CST to expression, resolving names; its recursion follows the parentheses, which are bounded. */
class Converter {
  constructor(
    private readonly text: string,
    private readonly inputs: readonly string[],
    private readonly spanOf: (from: number, to: number) => Span,
    private readonly problems: ExpressionProblem[],
  ) {}

  expression(node: CstNode): Expression {
    return this.chain(node, "term", (n) => this.chain(n, "factor", (f) => this.signed(f, "power", (p) => this.power(p))));
  }

  private chain(node: CstNode, operands: string, operand: (n: CstNode) => Expression): Expression {
    const items = (node.children[operands] as CstNode[]).map(operand);
    const ops = ["Plus", "Minus", "Times", "Divide"].flatMap((k) => (node.children[k] ?? []) as IToken[]).sort((a, b) => a.startOffset - b.startOffset);
    if (ops.length === 0) return items[0]!;
    const symbol: Record<string, ChainOperator> = { Plus: "+", Minus: "-", Times: "*", Divide: "/" };
    const rest = ops.map((op, i) => ({ op: symbol[op.tokenType.name]!, operand: items[i + 1]! }));
    return { kind: "chain", first: items[0]!, rest, ...this.place(items[0]!.from, items.at(-1)!.to) };
  }

  /** Leading signs, then the operand: an odd number of '-' negates it. */
  private signed(node: CstNode, operand: string, convert: (n: CstNode) => Expression): Expression {
    const inner = convert((node.children[operand] as CstNode[])[0]!);
    const signs = [...((node.children["Minus"] ?? []) as IToken[]), ...((node.children["Plus"] ?? []) as IToken[])];
    const minus = (node.children["Minus"] ?? []).length;
    const from = Math.min(inner.from, ...signs.map((t) => t.startOffset));
    return minus % 2 === 1 ? { kind: "negate", operand: inner, ...this.place(from, inner.to) } : inner;
  }

  private power(node: CstNode): Expression {
    const base = this.atom((node.children["atom"] as CstNode[])[0]!);
    const exponents = ((node.children["exponent"] ?? []) as CstNode[]).map((e) => this.signed(e, "atom", (a) => this.atom(a)));
    return exponents.length === 0 ? base : { kind: "power", base, exponents, ...this.place(base.from, exponents.at(-1)!.to) };
  }

  private atom(node: CstNode): Expression {
    const inner = (node.children["expression"] as CstNode[] | undefined)?.[0];
    const number = (node.children["ExpressionNumber"] as IToken[] | undefined)?.[0];
    const name = (node.children["ExpressionName"] as IToken[] | undefined)?.[0];
    const open = (node.children["Open"] as IToken[] | undefined)?.[0];
    const close = (node.children["Close"] as IToken[] | undefined)?.[0];
    if (number !== undefined) {
      const value = Number(number.image);
      const place = this.place(number.startOffset, number.startOffset + number.image.length);
      if (!Number.isFinite(value)) this.report("DS1010", place, [`the number ${number.image} is too large`]);
      return { kind: "number", value, ...place };
    }
    const whole = this.place((name ?? open)!.startOffset, close === undefined ? 0 : close.startOffset + 1);
    if (name === undefined) {
      // Parentheses only group: the node keeps them in its text, so a message quotes them.
      return { ...this.expression(inner!), from: whole.from, to: whole.to, span: whole.span };
    }
    const namePlace = this.place(name.startOffset, name.startOffset + name.image.length);
    return inner === undefined ? this.name(name.image, namePlace) : this.call(name.image, this.expression(inner), whole, namePlace);
  }

  private name(word: string, place: Place): Expression {
    const index = this.inputs.indexOf(word);
    if (index >= 0) return { kind: "input", index, ...place };
    const constant = CONSTANTS[word];
    if (constant !== undefined && Object.hasOwn(CONSTANTS, word)) return { kind: "number", value: constant, ...place };
    if (Object.hasOwn(FUNCTIONS, word)) this.report("DS2046", place, [word]);
    else this.report("DS2041", place, [word], this.unknownHint(word));
    return { kind: "number", value: 0, ...place };
  }

  private call(word: string, argument: Expression, place: Place, namePlace: Place): Expression {
    if (Object.hasOwn(FUNCTIONS, word)) return { kind: "call", fn: word as FunctionName, argument, ...place };
    if (this.inputs.includes(word)) this.report("DS2045", namePlace, [word, "an input"], "write a product with '*', e.g. x*(y+1)");
    else if (Object.hasOwn(CONSTANTS, word)) this.report("DS2045", namePlace, [word, "a constant"], `write a product with '*', e.g. ${word}*(x+1)`);
    else this.report("DS2041", namePlace, [word], didYouMean(word, Object.keys(FUNCTIONS)));
    return argument;
  }

  private unknownHint(word: string): string {
    const names = [...this.inputs, ...Object.keys(CONSTANTS)];
    const inputs = this.inputs.length === 0 ? "no inputs are declared" : `the inputs are ${this.inputs.join(", ")}`;
    const close = didYouMean(word, names);
    return close?.startsWith("did you") ? close : `${inputs} (inputs=[…]); the constants are pi and e`;
  }

  private place(from: number, to: number): Place {
    return { from, to, span: this.spanOf(from, to) };
  }

  private report(code: DiagnosticCode, place: { span: Span }, args: readonly (string | number)[], hint?: string): void {
    this.problems.push(hint === undefined ? { code, span: place.span, args } : { code, span: place.span, args, hint });
  }
}
