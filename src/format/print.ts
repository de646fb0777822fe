import type * as ast from "../parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { LineWriter, width } from "./lines.js";
import { blankLineBefore, type CommentQueue } from "./trivia.js";

/** A call, list or edge list longer than this breaks into one item per line (the widest one-line declaration of the examples is 116). */
export const MAX_WIDTH = 120;
const INDENT = 2;
/** The keyword each declaration other than a network starts with. */
const KEYWORD = { GraphDeclaration: "graph", DataDeclaration: "data", CellDeclaration: "cell" } as const;

/** `0 -> 1 -> 3` as written: the AST splits chains into edges, which share the number between them. */
interface Chain {
  readonly edges: readonly ast.Edge[];
  readonly span: Span;
}

/**
 * Writes a program in the canonical layout. Comments are placed at the gaps
 * between the items of the lists the program is made of (declarations,
 * settings, arguments, list items, edge chains): each list item's leading
 * comments before it, a comment that followed code on its line at the end of
 * the line written last. A comment elsewhere (`input /* c *\/ 784`) moves to
 * the next such gap, so it is never lost.
 */
export class Printer {
  readonly out = new LineWriter();

  constructor(
    private readonly comments: CommentQueue,
    private readonly text: string,
  ) {}

  program(program: ast.Program): void {
    this.items(program.declarations, 0, this.text.length, "", (d) => this.declaration(d));
  }

  /** One item per line at `indent`, each followed by `separator`, then the comments before `closeOffset`. */
  private items<T extends { readonly span: Span }>(items: readonly T[], indent: number, closeOffset: number, separator: string, print: (item: T) => void): void {
    let first = true;
    for (const item of items) {
      const start = item.span.start.offset;
      first = this.out.comments(this.comments.takeBefore(start), indent, first);
      this.out.newline(indent, !first && blankLineBefore(this.text, start));
      print(item);
      this.out.text(separator);
      first = false;
    }
    this.out.comments(this.comments.takeBefore(closeOffset), indent, first);
  }

  private declaration(d: ast.Declaration): void {
    if (d.kind === "NetworkDeclaration") return this.network(d);
    this.out.text(`${KEYWORD[d.kind]} ${d.name.name} = `);
    if (d.value.kind === "EdgeList") this.edgeList(d.value);
    else this.value(d.value, 0);
  }

  private network(n: ast.NetworkDeclaration): void {
    this.out.text(`network ${n.name.name} {`);
    if (n.settings.length === 0 && !this.hasComments(n.span)) return this.out.text("}");
    const indent = this.out.indent;
    this.items(n.settings, indent + INDENT, n.span.end.offset - 1, "", (s) => {
      this.out.text(`${s.key.name} `);
      this.value(s.value, 0);
    });
    this.out.newline(indent);
    this.out.text("}");
  }

  private edgeList(e: ast.EdgeList): void {
    const chains = chainsOf(e.edges);
    this.out.text("edges ");
    this.sequence(e.span, flatEdgeList(chains), chains, "{", "}", 0, (c) => this.out.text(flatChain(c)));
  }

  /** A value; `suffix` is the width of what follows it on its line (a comma), counted when deciding whether it fits. */
  private value(v: ast.Value, suffix: number): void {
    if (v.kind === "ListLiteral") return this.sequence(v.span, flatValue(v), v.items, "[", "]", suffix, (item) => this.value(item, 1));
    if (v.kind !== "Call") return this.out.text(flatValue(v));
    this.out.text(v.callee.name);
    this.sequence(v.span, flatValue(v).slice(v.callee.name.length), v.args, "(", ")", suffix, (a) => {
      if (a.name !== undefined) this.out.text(`${a.name.name}=`);
      this.value(a.value, 1);
    });
  }

  /** A bracketed list of items on one line if it fits and holds no comment, else one item per line with a comma after each. */
  private sequence<T extends { readonly span: Span }>(span: Span, flat: string, items: readonly T[], open: string, close: string, suffix: number, print: (item: T) => void): void {
    const empty = items.length === 0 && !this.hasComments(span);
    if (empty || (!this.hasComments(span) && this.out.column + width(flat) + suffix <= MAX_WIDTH)) return this.out.text(flat);
    const indent = this.out.indent;
    this.out.text(open);
    this.items(items, indent + INDENT, span.end.offset - 1, ",", print);
    this.out.newline(indent);
    this.out.text(close);
  }

  private hasComments(span: Span): boolean {
    return this.comments.anyWithin(span.start.offset, span.end.offset);
  }
}

function flatValue(v: ast.Value): string {
  switch (v.kind) {
    case "NumberLiteral":
    case "StringLiteral":
      return v.raw;
    case "BooleanLiteral":
      return String(v.value);
    case "NameReference":
      return v.name;
    case "ListLiteral":
      return `[${v.items.map(flatValue).join(", ")}]`;
    case "Call":
      return `${v.callee.name}(${v.args.map((a) => (a.name === undefined ? "" : `${a.name.name}=`) + flatValue(a.value)).join(", ")})`;
  }
}

function flatEdgeList(chains: readonly Chain[]): string {
  return chains.length === 0 ? "{}" : `{ ${chains.map(flatChain).join(", ")} }`;
}

function flatChain(chain: Chain): string {
  return chain.edges.map((e, i) => `${i === 0 ? e.source.raw : ""} ${e.directed ? "->" : "--"} ${e.target.raw}`).join("");
}

function chainsOf(edges: readonly ast.Edge[]): Chain[] {
  const chains: ast.Edge[][] = [];
  for (const edge of edges) {
    const last = chains.at(-1)?.at(-1);
    if (last !== undefined && last.target.span.start.offset === edge.source.span.start.offset) chains.at(-1)!.push(edge);
    else chains.push([edge]);
  }
  return chains.map((c) => ({ edges: c, span: { start: c[0]!.span.start, end: c.at(-1)!.span.end } }));
}
