import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Span } from "../diagnostics/span.js";
import type * as ast from "./ast.js";

/**
 * Turns chevrotain's concrete syntax tree into the AST. The parser recovers
 * from errors, so any part of a node may be missing: a node whose essential
 * parts are missing is dropped (its error was already reported), never
 * filled with a placeholder.
 */
export function toAst(root: CstNode, text: string): ast.Program {
  const declarations: ast.Declaration[] = [];
  for (const node of nodes(root, "declaration")) {
    const graph = nodes(node, "graphDeclaration")[0];
    const network = nodes(node, "networkDeclaration")[0];
    const data = nodes(node, "dataDeclaration")[0];
    const cell = nodes(node, "cellDeclaration")[0];
    const declaration = graph ? graphDeclaration(graph) : network ? networkDeclaration(network) : data ? dataDeclaration(data) : cell ? cellDeclaration(cell) : undefined;
    if (declaration) declarations.push(declaration);
  }
  return { kind: "Program", declarations, span: wholeText(text) };
}

function graphDeclaration(node: CstNode): ast.GraphDeclaration | undefined {
  const keyword = token(node, "Graph");
  const name = identifier(token(node, "Identifier"));
  const call = nodes(node, "call")[0];
  const edges = nodes(node, "edgeList")[0];
  const value = call ? callNode(call) : edges ? edgeList(edges) : undefined;
  if (!keyword || !name || !value) return undefined;
  return { kind: "GraphDeclaration", name, value, span: join(tokenSpan(keyword), value.span) };
}

function dataDeclaration(node: CstNode): ast.DataDeclaration | undefined {
  const keyword = token(node, "Data");
  const name = identifier(token(node, "Identifier"));
  const call = nodes(node, "call")[0];
  const value = call && callNode(call);
  if (!keyword || !name || !value) return undefined;
  return { kind: "DataDeclaration", name, value, span: join(tokenSpan(keyword), value.span) };
}

function cellDeclaration(node: CstNode): ast.CellDeclaration | undefined {
  const keyword = token(node, "Cell");
  const name = identifier(token(node, "Identifier"));
  const list = nodes(node, "list")[0];
  const value = list && listLiteral(list);
  if (!keyword || !name || !value) return undefined;
  return { kind: "CellDeclaration", name, value, span: join(tokenSpan(keyword), value.span) };
}

function edgeList(node: CstNode): ast.EdgeList | undefined {
  const keyword = token(node, "Edges");
  if (!keyword) return undefined;
  const edges = nodes(node, "edgeChain").flatMap(edgeChain);
  const close = token(node, "RBrace");
  const end = close ? tokenSpan(close) : (edges.at(-1)?.span ?? tokenSpan(keyword));
  return { kind: "EdgeList", edges, span: join(tokenSpan(keyword), end) };
}

/** A chain's numbers and operators, in source order, split into single edges. */
function edgeChain(node: CstNode): ast.Edge[] {
  const numbers = tokens(node, "NumberLiteral").map(numberLiteral);
  const operators = [...tokens(node, "Arrow"), ...tokens(node, "Undirected")].sort((a, b) => a.startOffset - b.startOffset);
  const edges: ast.Edge[] = [];
  for (let i = 0; i + 1 < numbers.length && i < operators.length; i++) {
    const source = numbers[i]!;
    const target = numbers[i + 1]!;
    edges.push({
      kind: "Edge",
      source,
      target,
      directed: operators[i]!.tokenType.name === "Arrow",
      span: join(source.span, target.span),
    });
  }
  return edges;
}

function networkDeclaration(node: CstNode): ast.NetworkDeclaration | undefined {
  const keyword = token(node, "Network");
  const name = identifier(token(node, "Identifier"));
  if (!keyword || !name) return undefined;
  const settings = nodes(node, "setting").flatMap((s) => setting(s) ?? []);
  const close = token(node, "RBrace");
  const end = close ? tokenSpan(close) : (settings.at(-1)?.span ?? name.span);
  return { kind: "NetworkDeclaration", name, settings, span: join(tokenSpan(keyword), end) };
}

function setting(node: CstNode): ast.Setting | undefined {
  const key = identifier(token(node, "Identifier"));
  const valueNode = nodes(node, "value")[0];
  const value = valueNode && valueOf(valueNode);
  if (!key || !value) return undefined;
  return { kind: "Setting", key, value, span: join(key.span, value.span) };
}

function valueOf(node: CstNode): ast.Value | undefined {
  const number = token(node, "NumberLiteral");
  if (number) return numberLiteral(number);
  const yes = token(node, "True") ?? token(node, "False");
  if (yes) return { kind: "BooleanLiteral", value: yes.tokenType.name === "True", span: tokenSpan(yes) };
  const string = token(node, "StringLiteral");
  if (string) return stringLiteral(string);
  const list = nodes(node, "list")[0];
  if (list) return listLiteral(list);
  const call = nodes(node, "call")[0];
  if (call) return callNode(call);
  const name = nodes(node, "name")[0];
  const parts = name ? tokens(name, "Identifier") : [];
  // A dotted name is one reference: its parts joined by dots, spanning all of them.
  if (parts.length === 0) return undefined;
  return { kind: "NameReference", name: parts.map((t) => t.image).join("."), span: join(tokenSpan(parts[0]!), tokenSpan(parts.at(-1)!)) };
}

function listLiteral(node: CstNode): ast.ListLiteral | undefined {
  const open = token(node, "LBracket");
  const close = token(node, "RBracket");
  if (!open || !close) return undefined;
  const items = nodes(node, "value").flatMap((v) => valueOf(v) ?? []);
  return { kind: "ListLiteral", items, span: join(tokenSpan(open), tokenSpan(close)) };
}

function callNode(node: CstNode): ast.Call | undefined {
  const callee = identifier(token(node, "Identifier"));
  const close = token(node, "RParen");
  if (!callee || !close) return undefined;
  const args = nodes(node, "argument").flatMap((a) => argument(a) ?? []);
  return { kind: "Call", callee, args, span: join(callee.span, tokenSpan(close)) };
}

function argument(node: CstNode): ast.Argument | undefined {
  const valueNode = nodes(node, "value")[0];
  const value = valueNode && valueOf(valueNode);
  if (!value) return undefined;
  const name = token(node, "Equals") ? identifier(token(node, "Identifier")) : undefined;
  return name ? { kind: "Argument", name, value, span: join(name.span, value.span) } : { kind: "Argument", value, span: value.span };
}

function numberLiteral(t: IToken): ast.NumberLiteral {
  return { kind: "NumberLiteral", value: Number(t.image), raw: t.image, span: tokenSpan(t) };
}

function stringLiteral(t: IToken): ast.StringLiteral {
  const closed = t.tokenType.name === "StringLiteral";
  const body = t.image.slice(1, closed ? -1 : undefined);
  return { kind: "StringLiteral", value: body.replace(/\\(.)/g, "$1"), raw: t.image, span: tokenSpan(t) };
}

function identifier(t: IToken | undefined): ast.Identifier | undefined {
  return t ? { kind: "Identifier", name: t.image, span: tokenSpan(t) } : undefined;
}

/** The children of a CST node under a key, keeping only those the parser really saw. */
function children(node: CstNode, key: string): readonly CstElement[] {
  return node.children[key] ?? [];
}

function nodes(node: CstNode, key: string): CstNode[] {
  return children(node, key).filter((c): c is CstNode => "children" in c && c.recoveredNode !== true);
}

/** Tokens inserted by error recovery have no position: they count as missing. */
function tokens(node: CstNode, key: string): IToken[] {
  return children(node, key).filter((c): c is IToken => "image" in c && !c.isInsertedInRecovery);
}

function token(node: CstNode, key: string): IToken | undefined {
  return tokens(node, key)[0];
}

export function tokenSpan(t: IToken): Span {
  const line = t.startLine ?? 1;
  const column = t.startColumn ?? 1;
  const endLine = t.endLine ?? line;
  const endColumn = t.endColumn ?? column + t.image.length - 1;
  return {
    start: { offset: t.startOffset, line, column },
    end: { offset: (t.endOffset ?? t.startOffset + t.image.length - 1) + 1, line: endLine, column: endColumn + 1 },
  };
}

function join(first: Span, last: Span): Span {
  return { start: first.start, end: last.end };
}

function wholeText(text: string): Span {
  const lines = text.split("\n");
  return {
    start: { offset: 0, line: 1, column: 1 },
    end: { offset: text.length, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 },
  };
}
