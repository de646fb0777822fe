import type { Span } from "../diagnostics/span.js";

/**
 * The syntax tree of a `.ds` file. Every node keeps the span of the source it
 * came from, so later passes can point at it. The parser recovers from errors,
 * so a tree may lack parts that were missing in the text; it never holds
 * placeholder nodes.
 */
export interface Program {
  readonly kind: "Program";
  readonly declarations: readonly Declaration[];
  readonly span: Span;
}

export type Declaration = GraphDeclaration | NetworkDeclaration | DataDeclaration | CellDeclaration;

/** `cell NAME = [conv(8, kernel=3, padding=same), batch_norm()]`: the layers of every vertex of a cell network. */
export interface CellDeclaration {
  readonly kind: "CellDeclaration";
  readonly name: Identifier;
  readonly value: ListLiteral;
  readonly span: Span;
}

/** `graph NAME = balanced_tree(r=2, h=3)` or `graph NAME = edges { 0 -> 1 }` */
export interface GraphDeclaration {
  readonly kind: "GraphDeclaration";
  readonly name: Identifier;
  readonly value: GraphExpression;
  readonly span: Span;
}

/** `network NAME { input 784  dense 100  output 10 }` */
export interface NetworkDeclaration {
  readonly kind: "NetworkDeclaration";
  readonly name: Identifier;
  readonly settings: readonly Setting[];
  readonly span: Span;
}

/** `data NAME = function("x^2", inputs=[x])` or `data NAME = moons(samples=500)` */
export interface DataDeclaration {
  readonly kind: "DataDeclaration";
  readonly name: Identifier;
  readonly value: Call;
  readonly span: Span;
}

/** One line of a network body: a key and its value, e.g. `structure tree`. */
export interface Setting {
  readonly kind: "Setting";
  readonly key: Identifier;
  readonly value: Value;
  readonly span: Span;
}

export type GraphExpression = Call | EdgeList;

/** `edges { 0 -> 1 -> 2, 0 -> 2 }`; chains are split into single edges. */
export interface EdgeList {
  readonly kind: "EdgeList";
  readonly edges: readonly Edge[];
  readonly span: Span;
}

export interface Edge {
  readonly kind: "Edge";
  readonly source: NumberLiteral;
  readonly target: NumberLiteral;
  readonly directed: boolean;
  readonly span: Span;
}

export type Value = NumberLiteral | BooleanLiteral | StringLiteral | NameReference | ListLiteral | Call;

export interface NumberLiteral {
  readonly kind: "NumberLiteral";
  readonly value: number;
  /** The text as written, so messages quote the user's own spelling. */
  readonly raw: string;
  readonly span: Span;
}

export interface BooleanLiteral {
  readonly kind: "BooleanLiteral";
  readonly value: boolean;
  readonly span: Span;
}

export interface StringLiteral {
  readonly kind: "StringLiteral";
  readonly value: string;
  /** The token as written, quotes and escapes included, so positions inside the string map back to the file. */
  readonly raw: string;
  readonly span: Span;
}

/** A bare identifier used as a value: a graph's name, or a word such as `relu`. */
export interface NameReference {
  readonly kind: "NameReference";
  readonly name: string;
  readonly span: Span;
}

export interface ListLiteral {
  readonly kind: "ListLiteral";
  readonly items: readonly Value[];
  readonly span: Span;
}

/** `name(arg, key=arg)` */
export interface Call {
  readonly kind: "Call";
  readonly callee: Identifier;
  readonly args: readonly Argument[];
  readonly span: Span;
}

export interface Argument {
  readonly kind: "Argument";
  readonly name?: Identifier;
  readonly value: Value;
  readonly span: Span;
}

export interface Identifier {
  readonly kind: "Identifier";
  readonly name: string;
  readonly span: Span;
}
