import fc from "fast-check";
import { dsLexer } from "../../grammar/tokens.js";

/**
 * Other layouts of the same program: the gaps between its tokens replaced by
 * white space and comments of every kind (line breaks of all three kinds,
 * blank lines, tabs, `#`, `//` and block comments, trailing or on their own
 * lines). The tokens, and so the meaning, stay as they are.
 */
const gaps = [" ", "  ", "\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r", " # a note\n", "// another\n", " /* block */ ", "\n/* two\n   lines */\n", "\n\n# after a blank line\n"];

export function relayout(program: string): fc.Arbitrary<string> {
  const lexed = dsLexer.tokenize(program);
  if (lexed.errors.length > 0 || lexed.tokens.length === 0) return fc.constant(program);
  const gap = fc.oneof({ weight: 6, arbitrary: fc.constant(" ") }, { weight: 4, arbitrary: fc.constantFrom(...gaps) });
  return fc.array(gap, { minLength: lexed.tokens.length + 1, maxLength: lexed.tokens.length + 1 }).map((chosen) => {
    let text = chosen[0] === " " ? "" : chosen[0]!;
    lexed.tokens.forEach((token, i) => (text += token.image + chosen[i + 1]!));
    return text;
  });
}
