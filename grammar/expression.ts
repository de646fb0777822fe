import { createToken, CstParser, Lexer, type TokenType } from "./chevrotain.js";

/**
 * The expression language of `function("…")` datasets: numbers, input
 * names, + - * / ^, unary signs, parentheses and one-argument functions.
 * It has its own tokens because it lives inside a string of the `.ds` file;
 * `src/data/expression/` turns the tree into an expression and evaluates it.
 *
 * Operators chain in lists rather than nest, so only parentheses and
 * function calls make the parser recurse (and the caller bounds their depth).
 */
export const ExpressionSpace = createToken({ name: "ExpressionSpace", pattern: /[ \t]+/, group: Lexer.SKIPPED });
export const ExpressionName = createToken({ name: "ExpressionName", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });
export const ExpressionNumber = createToken({ name: "ExpressionNumber", pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/, label: "a number" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Times = createToken({ name: "Times", pattern: /\*/, label: "'*'" });
export const Divide = createToken({ name: "Divide", pattern: /\//, label: "'/'" });
export const Caret = createToken({ name: "Caret", pattern: /\^/, label: "'^'" });
export const Open = createToken({ name: "Open", pattern: /\(/, label: "'('" });
export const Close = createToken({ name: "Close", pattern: /\)/, label: "')'" });

export const expressionTokens: TokenType[] = [ExpressionSpace, ExpressionName, ExpressionNumber, Plus, Minus, Times, Divide, Caret, Open, Close];

export const expressionLexer = new Lexer(expressionTokens, { positionTracking: "onlyOffset", ensureOptimizations: false });

export class ExpressionParser extends CstParser {
  constructor() {
    super(expressionTokens, { recoveryEnabled: false, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.term);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]);
      this.SUBRULE2(this.term);
    });
  });

  term = this.RULE("term", () => {
    this.SUBRULE(this.factor);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Times) }, { ALT: () => this.CONSUME(Divide) }]);
      this.SUBRULE2(this.factor);
    });
  });

  /** Signs bind looser than `^`: `-x^2` is `-(x^2)`. */
  factor = this.RULE("factor", () => {
    this.MANY(() => this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]));
    this.SUBRULE(this.power);
  });

  /** `a ^ b ^ c` is `a ^ (b ^ c)`; an exponent may carry signs, as in `2^-x`. */
  power = this.RULE("power", () => {
    this.SUBRULE(this.atom);
    this.MANY(() => {
      this.CONSUME(Caret);
      this.SUBRULE2(this.exponent);
    });
  });

  exponent = this.RULE("exponent", () => {
    this.MANY(() => this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]));
    this.SUBRULE(this.atom);
  });

  atom = this.RULE("atom", () => {
    this.OR([
      { ALT: () => this.CONSUME(ExpressionNumber) },
      {
        ALT: () => {
          this.CONSUME(ExpressionName);
          this.OPTION(() => {
            this.CONSUME(Open);
            this.SUBRULE(this.expression);
            this.CONSUME(Close);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(Open);
          this.SUBRULE2(this.expression);
          this.CONSUME2(Close);
        },
      },
    ]);
  });
}

export const expressionParser = new ExpressionParser();
