import { Lexer, type ISerializedGast, type TokenType } from "./chevrotain.js";
import { ExpressionName, ExpressionNumber, expressionParser, expressionTokens } from "./expression.js";
import { dsParser } from "./parser.js";
import { allTokens, Identifier, NumberLiteral, StringLiteral } from "./tokens.js";

/** Tokens with a pattern rather than a fixed spelling, as the EBNF names them. */
const lexicalNames = new Map<TokenType, string>([
  [Identifier, "NAME"],
  [NumberLiteral, "NUMBER"],
  [StringLiteral, "STRING"],
  [ExpressionName, "INPUT_OR_FUNCTION"],
  [ExpressionNumber, "UNSIGNED_NUMBER"],
]);

const everyToken = [...allTokens, ...expressionTokens];

/**
 * The grammar as EBNF (ISO-ish: `{ x }` repeats, `[ x ]` is optional, `|`
 * separates alternatives), rendered from the parser itself so the README can
 * never drift from what the parser accepts.
 */
export function grammarEbnf(): string {
  const rules = (productions: readonly ISerializedGast[]): string[] => productions.map((rule) => `${nameOf(rule)} = ${sequence(rule.definition ?? [])} ;`);
  const tokens = [...lexicalNames].map(([token, name]) => `${name} = /${(token.PATTERN as RegExp).source}/ ;`);
  const skipped = everyToken.filter((t) => t.GROUP === Lexer.SKIPPED).map((t) => `(* skipped: ${t.name} /${(t.PATTERN as RegExp).source}/ *)`);
  return [
    ...rules(dsParser.getSerializedGastProductions()),
    "",
    '(* the expression inside function("..."): *)',
    ...rules(expressionParser.getSerializedGastProductions()),
    "",
    ...tokens,
    ...skipped,
    "",
  ].join("\n");
}

/** Both parsers' rules, for the railroad diagrams. */
export function grammarProductions(): ISerializedGast[] {
  return [...dsParser.getSerializedGastProductions(), ...expressionParser.getSerializedGastProductions()];
}

function sequence(items: readonly ISerializedGast[]): string {
  return items.map(item).join(" ");
}

function item(node: ISerializedGast): string {
  const definition = node.definition ?? [];
  switch (node.type) {
    case "Terminal": {
      const token = everyToken.find((t) => t.name === nameOf(node));
      const lexical = token && lexicalNames.get(token);
      return lexical ?? `"${(token?.PATTERN as RegExp).source.replace(/\\/g, "")}"`;
    }
    case "NonTerminal":
      return nameOf(node);
    case "Option":
      return `[ ${sequence(definition)} ]`;
    case "Repetition":
      return `{ ${sequence(definition)} }`;
    case "RepetitionMandatory":
      return `${sequence(definition)} { ${sequence(definition)} }`;
    case "Alternation":
      return `( ${definition.map((alternative) => sequence(alternative.definition ?? [])).join(" | ")} )`;
    case "Alternative":
      return sequence(definition);
    default:
      throw new Error(`grammar-docs: no EBNF rendering for a ${node.type}`);
  }
}

/** Rules, terminals and non-terminals carry a name that the serialized type does not declare. */
function nameOf(node: ISerializedGast): string {
  const name = (node as ISerializedGast & { name?: unknown }).name;
  if (typeof name !== "string") throw new Error(`grammar-docs: a ${node.type} without a name`);
  return name;
}
