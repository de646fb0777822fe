import type { Hover } from "vscode-languageserver";
import type { Span } from "../diagnostics/span.js";
import { layerSizes, neuronCounts } from "../elaborate/layered.js";
import type { LayeredGraph } from "../elaborate/program.js";
import type { Analysis } from "./analysis.js";
import { declarations, locate, type Located } from "./locate.js";
import { callee, describeRule, KEYWORDS, settingWord } from "./vocabulary.js";

/** Hover: a graph's counts and layer sizes; a setting's, generator's or argument's documentation. */
export function hover(analysis: Analysis, offset: number): Hover | null {
  const found = locate(analysis.ast, offset);
  if (found === undefined) return null;
  const text = describe(analysis, found);
  return text === undefined ? null : { contents: { kind: "markdown", value: text }, range: analysis.lines.range(spanOf(found)) };
}

function describe(analysis: Analysis, found: Located): string | undefined {
  switch (found.kind) {
    case "declaration": {
      const { declaration } = found;
      if (declaration.kind === "GraphDeclaration") return graphText(analysis, declaration.name.name);
      const word = declaration.kind === "NetworkDeclaration" ? "network" : declaration.kind === "CellDeclaration" ? "cell" : "data";
      const keyword = KEYWORDS.find((k) => k.name === word);
      return `${keyword?.name} **${declaration.name.name}** — ${keyword?.doc}`;
    }
    case "setting": {
      const word = settingWord(found.setting.key.name);
      return word === undefined ? undefined : `**${word.name}** — ${word.doc}`;
    }
    case "callee": {
      const entry = found.context === undefined ? undefined : callee(found.context, found.call.callee.name);
      const doc = entry === undefined ? undefined : `**${entry.name}**(${entry.parameters.join(", ")}) — ${entry.doc}`;
      const graph = found.declaration?.kind === "GraphDeclaration" ? graphText(analysis, found.declaration.name.name) : undefined;
      return [doc, graph].filter((s) => s !== undefined).join("\n\n") || undefined;
    }
    case "argument": {
      const rule = found.context === undefined ? undefined : callee(found.context, found.call.callee.name)?.rules?.find((r) => r.name === found.argument.name?.name);
      return rule === undefined ? undefined : `\`${describeRule(rule)}\``;
    }
    case "reference":
      return declarations(analysis.ast).get(found.reference.name)?.kind === "GraphDeclaration" ? graphText(analysis, found.reference.name) : undefined;
  }
}

/** A graph's counts, or why there are none: the graphs are built only when the file has no errors. */
function graphText(analysis: Analysis, name: string): string {
  const program = analysis.result.program;
  const graph = program?.graphs.get(name);
  if (graph === undefined) return `graph **${name}** — not built: ${program === undefined ? "the file has errors" : "unknown graph"}`;
  return countsText(graph);
}

export function countsText(graph: LayeredGraph): string {
  const sizes = layerSizes(graph);
  const lines = [`graph **${graph.name}** — ${graph.graph.order} vertices, ${graph.graph.size} edges, ${sizes.length} layers`, `layer sizes: ${sizes.join(", ")}`];
  if (graph.groupSizes !== undefined) lines.push(`neurons per layer: ${neuronCounts(graph).join(", ")}`);
  return lines.join("\n\n");
}

function spanOf(found: Located): Span {
  switch (found.kind) {
    case "declaration":
      return found.declaration.name.span;
    case "setting":
      return found.setting.key.span;
    case "callee":
      return found.call.callee.span;
    case "argument":
      return found.argument.name?.span ?? found.argument.span;
    case "reference":
      return found.reference.span;
  }
}
