import type { Span } from "../../diagnostics/span.js";

/** The one-argument functions of the expression language. */
export const FUNCTIONS = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
} as const satisfies Record<string, (v: number) => number>;
export type FunctionName = keyof typeof FUNCTIONS;

export const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

/** Where a node sits: `from`/`to` index the expression's text, `span` is the same stretch of the .ds file. */
interface Placed {
  readonly from: number;
  readonly to: number;
  readonly span: Span;
}

export type ChainOperator = "+" | "-" | "*" | "/";

/**
 * An expression with its names resolved: inputs by position, constants as
 * numbers. Chains of one precedence are lists, not nested pairs, so the depth
 * of a tree is bounded by its parentheses, never by its length.
 */
export type Expression =
  | (Placed & { readonly kind: "number"; readonly value: number })
  | (Placed & { readonly kind: "input"; readonly index: number })
  | (Placed & { readonly kind: "call"; readonly fn: FunctionName; readonly argument: Expression })
  | (Placed & { readonly kind: "chain"; readonly first: Expression; readonly rest: readonly { readonly op: ChainOperator; readonly operand: Expression }[] })
  | (Placed & { readonly kind: "negate"; readonly operand: Expression })
  /** `base ^ e1 ^ e2 …`, right-associative. */
  | (Placed & { readonly kind: "power"; readonly base: Expression; readonly exponents: readonly Expression[] });

/**
 * The value of `node` with the inputs `x`. `visit` sees every node's value,
 * children before parents, so the first non-finite value it sees is where a
 * NaN or infinity was born.
 */
export function evaluate(node: Expression, x: ArrayLike<number>, visit?: (node: Expression, value: number) => void): number {
  const value = valueOf(node, x, visit);
  visit?.(node, value);
  return value;
}

function valueOf(node: Expression, x: ArrayLike<number>, visit?: (node: Expression, value: number) => void): number {
  switch (node.kind) {
    case "number":
      return node.value;
    case "input":
      return x[node.index]!;
    case "call":
      return FUNCTIONS[node.fn](evaluate(node.argument, x, visit));
    case "negate":
      return -evaluate(node.operand, x, visit);
    case "chain": {
      let value = evaluate(node.first, x, visit);
      for (const { op, operand } of node.rest) value = apply(op, value, evaluate(operand, x, visit));
      return value;
    }
    case "power": {
      const values = node.exponents.map((e) => evaluate(e, x, visit));
      let exponent = values[values.length - 1]!;
      for (let i = values.length - 2; i >= 0; i--) exponent = values[i]! ** exponent;
      return evaluate(node.base, x, visit) ** exponent;
    }
  }
}

function apply(op: ChainOperator, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
  }
}

/** The innermost node whose value at `x` is not finite (the whole expression when none is). */
export function firstNonFinite(root: Expression, x: ArrayLike<number>): Expression {
  let found: Expression | undefined;
  evaluate(root, x, (node, value) => {
    if (found === undefined && !Number.isFinite(value)) found = node;
  });
  return found ?? root;
}

/** The number of nodes: the work of one evaluation. */
export function expressionSize(node: Expression): number {
  switch (node.kind) {
    case "number":
    case "input":
      return 1;
    case "call":
      return 1 + expressionSize(node.argument);
    case "negate":
      return 1 + expressionSize(node.operand);
    case "chain":
      return node.rest.reduce((n, r) => n + expressionSize(r.operand), 1 + expressionSize(node.first));
    case "power":
      return node.exponents.reduce((n, e) => n + expressionSize(e), 1 + expressionSize(node.base));
  }
}
