import type { GraphSource } from "../check/program.js";
import type { ArgumentChange } from "./types.js";
import { valueText } from "./values.js";

/** The operation a source is, as the .ds file names it. */
function head(source: GraphSource): string {
  return source.kind === "generator" ? source.generator : source.kind;
}

/** A source's own arguments (not its inner graphs), as text. */
function ownArguments(source: GraphSource): Record<string, string> {
  switch (source.kind) {
    case "generator":
      return textOf(source.args);
    case "edges":
      return { directed: String(source.directed), edges: `${source.edges.length} edges` };
    case "file":
      return { path: source.path };
    case "orient":
      return textOf({ rule: source.rule, roots: source.roots, seed: source.seed });
    case "scalable":
      return textOf({ scale: source.scale, proportions: source.proportions });
    case "append":
      return {};
  }
}

function textOf(fields: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, valueText(value)]));
}

/** The graphs an operation works on, named by their role. */
function innerSources(source: GraphSource): [string, GraphSource][] {
  if (source.kind === "orient" || source.kind === "scalable") return [["", source.graph]];
  if (source.kind === "append")
    return [
      ["bottom", source.bottom],
      ["top", source.top],
    ];
  return [];
}

/** A whole source as text, for a replaced one: `watts_strogatz(n=32, k=4, p=0.5, seed=42)`. */
export function sourceText(source: GraphSource): string {
  const inner = innerSources(source).map(([role, graph]) => (role === "" ? sourceText(graph) : `${role}=${sourceText(graph)}`));
  const own = Object.entries(ownArguments(source)).map(([key, value]) => `${key}=${value}`);
  return `${head(source)}(${[...inner, ...own].join(", ")})`;
}

/**
 * What changed between two checked graph sources, outermost first: an
 * argument of the same operation (`seed 42 → 43`), or a source replaced by
 * another operation. Edge lists count their edges here; the graph diff lists them.
 */
export function argumentChanges(a: GraphSource, b: GraphSource, at: readonly string[] = []): ArgumentChange[] {
  if (head(a) !== head(b)) return [{ at, argument: "", before: sourceText(a), after: sourceText(b) }];
  const here = [...at, head(a)];
  const before = ownArguments(a);
  const after = ownArguments(b);
  const changes: ArgumentChange[] = [];
  for (const argument of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[argument] !== after[argument]) changes.push({ at: here, argument, before: before[argument] ?? "", after: after[argument] ?? "" });
  }
  // As many edges but others: the count alone would hide the change.
  if (a.kind === "edges" && b.kind === "edges" && before.edges === after.edges && edgeKeys(a) !== edgeKeys(b)) {
    changes.push({ at: here, argument: "edges", before: before.edges!, after: `${after.edges!} (others)` });
  }
  const innerB = innerSources(b);
  innerSources(a).forEach(([role, graph], i) => changes.push(...argumentChanges(graph, innerB[i]![1], role === "" ? here : [...here, role])));
  return changes;
}

function edgeKeys(source: { readonly edges: readonly { readonly source: number; readonly target: number }[] }): string {
  // Sorted: edges written in another order make the same graph.
  return [...new Set(source.edges.map((e) => `${e.source}:${e.target}`))].sort().join(",");
}
