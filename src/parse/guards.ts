import type { IToken } from "chevrotain";
import { MAX_NESTING } from "../check/limits.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { tokenSpan } from "./cst-to-ast.js";

const OPENING = new Set(["LParen", "LBracket", "LBrace"]);
const CLOSING = new Set(["RParen", "RBracket", "RBrace"]);

/**
 * Looks at the tokens before the parser does. The parser is recursive
 * descent, so its stack grows with the nesting of brackets: nesting past
 * MAX_NESTING is reported at the bracket that goes too deep, and the text is
 * then not parsed at all (returns false). Numbers too large for a double
 * (1e1000 reads as Infinity) are reported where they are written.
 */
export function screenTokens(tokens: readonly IToken[], bag: DiagnosticBag): boolean {
  let depth = 0;
  for (const t of tokens) {
    const type = t.tokenType.name;
    if (OPENING.has(type) && ++depth > MAX_NESTING) {
      bag.report("DS1005", tokenSpan(t), [MAX_NESTING], "declare the inner graphs by name and use their names");
      return false;
    }
    if (CLOSING.has(type)) depth = Math.max(0, depth - 1);
    if (type === "NumberLiteral" && !Number.isFinite(Number(t.image))) bag.report("DS1006", tokenSpan(t), [t.image], "numbers must fit in a double (below about 1.8e308)");
  }
  return true;
}
