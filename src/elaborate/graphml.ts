/**
 * A GraphML reader for what `file(...)` needs — the first `<graph>`'s
 * `edgedefault`, its nodes' ids and its edges' ends and `directed` flags — in
 * one pass over the text, checking that the XML is well formed (tags
 * balanced and named alike, attributes quoted, their entities known) and saying
 * where it is not. About ten times faster than building a DOM and walking it
 * with graphology's reader, which took twice networkx's time on a
 * 10,000-vertex file (`npm run bench generators` measures both).
 */

export interface GraphmlContent {
  /** Node ids in document order. */
  readonly nodes: readonly string[];
  readonly edges: readonly (readonly [string, string])[];
  readonly directed: boolean;
}

/** A well-formedness or GraphML problem, with its line and column in the file. */
export class GraphmlError extends Error {
  override name = "GraphmlError";
}

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function position(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) [line, last] = [line + 1, i];
  return `line ${line}, column ${offset - last}`;
}

function decode(value: string, fail: (why: string) => never): string {
  if (!value.includes("&")) return value;
  return value.replace(/&([^;&\s]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(";")) fail(`'&${name}' is not an entity (no ';')`);
    if (name in ENTITIES) return ENTITIES[name]!;
    const code = name.startsWith("#x") ? parseInt(name.slice(2), 16) : name.startsWith("#") ? parseInt(name.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) fail(`'&${name};' is not an entity`);
    return String.fromCodePoint(code);
  });
}

function attributesOf(text: string, fail: (why: string) => never): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(ATTRIBUTE)) {
    if (out.has(match[1]!)) fail(`attribute '${match[1]}' is given twice`);
    out.set(match[1]!, decode(match[2] ?? match[3]!, fail));
  }
  return out;
}

/** Skips a comment, processing instruction, CDATA section or declaration at `at`; the offset after it, or undefined if none starts there. */
function skipSpecial(text: string, at: number, fail: (why: string) => never): number | undefined {
  for (const [open, close] of [
    ["<!--", "-->"],
    ["<?", "?>"],
    ["<![CDATA[", "]]>"],
    ["<!", ">"],
  ] as const) {
    if (!text.startsWith(open, at)) continue;
    const end = text.indexOf(close, at + open.length);
    if (end === -1) fail(`'${open}' is never closed by '${close}'`);
    return end + close.length;
  }
  return undefined;
}

/** @throws GraphmlError saying where the text is not well-formed XML, or has no graph. */
export function readGraphml(text: string): GraphmlContent {
  let at = 0;
  const fail = (why: string): never => {
    throw new GraphmlError(`${position(text, at)}: ${why}`);
  };
  const open: string[] = [];
  const nodes: string[] = [];
  const edges: [string, string][] = [];
  let graphDepth = -1;
  let directed: boolean | undefined;
  const kinds = { directed: 0, undirected: 0 };
  for (let next = text.indexOf("<"); next !== -1; next = text.indexOf("<", at)) {
    at = next;
    const skipped = skipSpecial(text, at, fail);
    if (skipped !== undefined) {
      at = skipped;
      continue;
    }
    TAG.lastIndex = at;
    const tag = TAG.exec(text) ?? fail("a '<' that does not start a well-formed tag");
    const [whole, closing, name, attributeText, selfClosing] = tag;
    if (closing) {
      const expected = open.pop();
      if (expected !== name) fail(expected === undefined ? `'</${name}>' closes nothing` : `'</${name}>' closes <${expected}>`);
      if (name === "graph" && open.length === graphDepth) graphDepth = -2;
    } else {
      const inGraph = graphDepth >= 0 && open.length > graphDepth;
      if (name === "graph" && graphDepth === -1) {
        const attributes = attributesOf(attributeText!, fail);
        directed = attributes.get("edgedefault") === "directed";
        graphDepth = open.length;
      } else if (inGraph && (name === "node" || name === "edge")) {
        const attributes = attributesOf(attributeText!, fail);
        if (name === "node") nodes.push(attributes.get("id") ?? fail("a <node> without an id"));
        else {
          edges.push([attributes.get("source") ?? fail("an <edge> without a source"), attributes.get("target") ?? fail("an <edge> without a target")]);
          const own = attributes.get("directed");
          const isDirected = own === undefined ? directed === true : own === "true";
          kinds[isDirected ? "directed" : "undirected"]++;
        }
      }
      if (!selfClosing) open.push(name!);
    }
    at += whole.length;
  }
  if (open.length > 0) fail(`<${open.at(-1)}> is never closed`);
  if (directed === undefined) fail("it has no <graph> element");
  if (kinds.directed > 0 && kinds.undirected > 0) fail("it mixes directed and undirected edges");
  return { nodes, edges, directed: kinds.directed > 0 || (edges.length === 0 && directed!) };
}
