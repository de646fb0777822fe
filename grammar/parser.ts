import { CstParser, type CstNode, type ParserMethod, type TokenType } from "./chevrotain.js";
import {
  allTokens,
  Arrow,
  Cell,
  Comma,
  Dot,
  Data,
  Edges,
  Equals,
  False,
  Graph,
  Identifier,
  LBrace,
  LBracket,
  LParen,
  Network,
  NumberLiteral,
  RBrace,
  RBracket,
  RParen,
  StringLiteral,
  True,
  Undirected,
} from "./tokens.js";

/**
 * The grammar of `.ds` files, as a chevrotain parser producing a concrete
 * syntax tree (`src/parse/cst-to-ast.ts` turns it into the AST). It is the
 * single source of the README's syntax diagram and of `grammar.ebnf`.
 *
 * Lists and argument lists allow a trailing comma, so one-per-line layouts
 * diff cleanly; settings of a network body need no separators.
 */
export class DsParser extends CstParser {
  constructor() {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  program = this.RULE("program", () => {
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.graphDeclaration) },
      { ALT: () => this.SUBRULE(this.networkDeclaration) },
      { ALT: () => this.SUBRULE(this.dataDeclaration) },
      { ALT: () => this.SUBRULE(this.cellDeclaration) },
    ]);
  });

  graphDeclaration = this.RULE("graphDeclaration", () => {
    this.CONSUME(Graph);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.OR([{ ALT: () => this.SUBRULE(this.call) }, { ALT: () => this.SUBRULE(this.edgeList) }]);
  });

  /** `data NAME = function("…", inputs=[x])` or a built-in such as `moons(samples=500)`: a dataset `dsc train --data NAME` reads. */
  dataDeclaration = this.RULE("dataDeclaration", () => {
    this.CONSUME(Data);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.call);
  });

  /** `cell NAME = [conv(16, kernel=3, padding=same), batch_norm()]`: the layers every vertex of a cell network runs. */
  cellDeclaration = this.RULE("cellDeclaration", () => {
    this.CONSUME(Cell);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.list);
  });

  edgeList = this.RULE("edgeList", () => {
    this.CONSUME(Edges);
    this.CONSUME(LBrace);
    this.commaSeparated(this.edgeChain, RBrace);
    this.CONSUME(RBrace);
  });

  /** `0 -> 1 -> 2` is the two edges 0 -> 1 and 1 -> 2. */
  edgeChain = this.RULE("edgeChain", () => {
    this.CONSUME(NumberLiteral);
    this.AT_LEAST_ONE(() => {
      this.OR([{ ALT: () => this.CONSUME(Arrow) }, { ALT: () => this.CONSUME(Undirected) }]);
      this.CONSUME2(NumberLiteral);
    });
  });

  networkDeclaration = this.RULE("networkDeclaration", () => {
    this.CONSUME(Network);
    this.CONSUME(Identifier);
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(RBrace);
  });

  setting = this.RULE("setting", () => {
    this.CONSUME(Identifier);
    this.SUBRULE(this.value);
  });

  value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE(this.name) },
    ]);
  });

  /** A bare name as a value: a graph, a word such as `relu`, or a dotted one such as `cell3.conv1` (a layer inside a cell, a recurrent layer's weight). */
  name = this.RULE("name", () => {
    this.CONSUME(Identifier);
    this.MANY(() => {
      this.CONSUME(Dot);
      this.CONSUME2(Identifier);
    });
  });

  list = this.RULE("list", () => {
    this.CONSUME(LBracket);
    this.commaSeparated(this.value, RBracket);
    this.CONSUME(RBracket);
  });

  call = this.RULE("call", () => {
    this.CONSUME(Identifier);
    this.CONSUME(LParen);
    this.commaSeparated(this.argument, RParen);
    this.CONSUME(RParen);
  });

  /** `item { "," item } [ "," ]` or nothing, before `close`: the trailing comma is allowed. */
  private commaSeparated(item: ParserMethod<[], CstNode>, close: TokenType): void {
    this.OPTION(() => {
      this.SUBRULE(item);
      this.MANY({
        GATE: () => this.LA(2).tokenType !== close,
        DEF: () => {
          this.CONSUME(Comma);
          this.SUBRULE2(item);
        },
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
  }

  /** `value` or `name=value`. */
  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.CONSUME(Identifier);
      this.CONSUME(Equals);
    });
    this.SUBRULE(this.value);
  });
}

/** One parser instance serves every parse: chevrotain parsers are reusable via `input =`. */
export const dsParser = new DsParser();

/** What each rule is called in messages such as "'}' cannot start here; expected a value". */
export const ruleDescriptions: Readonly<Record<string, string>> = {
  program: "'graph', 'network', 'data' or 'cell'",
  declaration: "'graph', 'network', 'data' or 'cell'",
  cellDeclaration: "a list of layers such as [conv(8, kernel=3, padding=same), batch_norm()]",
  dataDeclaration: 'a dataset call such as function("x^2", inputs=[x])',
  graphDeclaration: "a generator call or 'edges { ... }'",
  edgeChain: "'->' or '--'",
  value: "a value",
  argument: "an argument",
};

export type { CstNode };
