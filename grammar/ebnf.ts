import { Lexer, type ISerializedGast, type TokenType } from "chevrotain";
import { dsParser } from "./parser.js";
import { allTokens, Identifier, NumberLiteral, StringLiteral } from "./tokens.js";

/** Tokens with a pattern rather than a fixed spelling, as the EBNF names them. */
const lexicalNames = new Map<TokenType, string>([
  [Identifier, "NAME"],
  [NumberLiteral, "NUMBER"],
  [StringLiteral, "STRING"],
]);

/**
 * The grammar as EBNF (ISO-ish: `{ x }` repeats, `[ x ]` is optional, `|`
 * separates alternatives), rendered from the parser itself so the README can
 * never drift from what the parser accepts.
 */
export function grammarEbnf(): string {
  const rules = dsParser.getSerializedGastProductions().map((rule) => `${nameOf(rule)} = ${sequence(rule.definition ?? [])} ;`);
  const tokens = [...lexicalNames].map(([token, name]) => `${name} = /${(token.PATTERN as RegExp).source}/ ;`);
  const skipped = allTokens.filter((t) => t.GROUP === Lexer.SKIPPED).map((t) => `(* skipped: ${t.name} /${(t.PATTERN as RegExp).source}/ *)`);
  return [...rules, "", ...tokens, ...skipped, ""].join("\n");
}

function sequence(items: readonly ISerializedGast[]): string {
  return items.map(item).join(" ");
}

function item(node: ISerializedGast): string {
  const definition = node.definition ?? [];
  switch (node.type) {
    case "Terminal": {
      const token = allTokens.find((t) => t.name === nameOf(node));
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
