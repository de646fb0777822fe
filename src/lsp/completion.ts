import { CompletionItemKind, type CompletionItem } from "vscode-languageserver";
import type { Analysis } from "./analysis.js";
import { cursorContext, type CursorContext } from "./cursor.js";
import { CALLEES, callee, EDGES, KEYWORDS, SETTINGS, settingWord, type CallContext, type Word } from "./vocabulary.js";

/** Parameters whose value is a graph: there, graph names and generators are offered too. */
const GRAPH_PARAMETERS = new Set(["graph", "bottom", "top"]);

/** Completion: keywords, settings in network bodies, callees after '=' or a policy setting, argument names in calls. */
export function completion(analysis: Analysis, offset: number): CompletionItem[] {
  return itemsFor(analysis, cursorContext(analysis.source, offset));
}

function itemsFor(analysis: Analysis, context: CursorContext): CompletionItem[] {
  switch (context.kind) {
    case "declaration":
      return KEYWORDS.map((k) => item(k, CompletionItemKind.Keyword));
    case "setting":
      return SETTINGS.map((s) => item(s, CompletionItemKind.Property));
    case "settingValue":
      return settingValues(analysis, context.key);
    case "callee":
      return callees(context.context, context.context === "graph");
    case "argument": {
      const names = (callee(context.context, context.callee)?.parameters ?? []).filter((p) => !context.given.includes(p));
      const argumentItems = names.map((name): CompletionItem => ({ label: name, kind: CompletionItemKind.Field, insertText: `${name}=`, detail: `argument of ${context.callee}` }));
      const graphValued = context.context === "graph" && context.parameter !== undefined && GRAPH_PARAMETERS.has(context.parameter);
      return graphValued ? [...argumentItems, ...graphNames(analysis), ...callees("graph", false)] : argumentItems;
    }
    case "argumentValue":
      return context.parameter !== undefined && GRAPH_PARAMETERS.has(context.parameter) ? [...graphNames(analysis), ...callees("graph", false)] : [];
    case "none":
      return [];
  }
}

function settingValues(analysis: Analysis, key: string): CompletionItem[] {
  const values = settingWord(key)?.values;
  if (values === undefined) return [];
  if (values === "graphs") return graphNames(analysis);
  if (typeof values === "string") return callees(values, false);
  return values.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember }));
}

function callees(context: CallContext, withEdges: boolean): CompletionItem[] {
  const items = CALLEES[context].map((c) => item(c, CompletionItemKind.Function));
  return withEdges ? [...items, item(EDGES, CompletionItemKind.Keyword)] : items;
}

/** The graphs the file declares, built or not. */
function graphNames(analysis: Analysis): CompletionItem[] {
  return analysis.ast.declarations.filter((d) => d.kind === "GraphDeclaration").map((d) => ({ label: d.name.name, kind: CompletionItemKind.Variable, detail: "graph" }));
}

function item(word: Word, kind: CompletionItemKind): CompletionItem {
  return { label: word.name, kind, detail: word.doc };
}
