import { createToken, Lexer, type TokenType } from "./chevrotain.js";

/**
 * The tokens of the `.ds` language. Order matters where patterns overlap:
 * keywords before identifiers (with `longer_alt`, so `graphs` stays a name),
 * `->` and `--` before numbers (a number may start with `-`), a closed
 * string before an unterminated one.
 */
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /(?:#|\/\/)[^\r\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });
const keyword = (word: string): TokenType => createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
export const Graph = keyword("graph");
export const Network = keyword("network");
export const Data = keyword("data");
export const Cell = keyword("cell");
export const Edges = keyword("edges");
export const True = keyword("true");
export const False = keyword("false");

export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "'->'" });
export const Undirected = createToken({ name: "Undirected", pattern: /--/, label: "'--'" });
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: "a string" });
/** A string cut off by the end of its line; the parser accepts it as a string so one error is reported, not a cascade. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\.)*/,
  categories: [StringLiteral],
  label: "a string",
});

/** Joins the parts of a dotted name such as `cell3.conv1` or `lstm1.hidden` (after NumberLiteral, so `.5` stays a number). */
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "'.'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "']'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  Graph,
  Network,
  Data,
  Cell,
  Edges,
  True,
  False,
  Identifier,
  Arrow,
  Undirected,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  Dot,
  Equals,
  Comma,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
];

export const dsLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
