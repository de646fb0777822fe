/**
 * `recurrent lstm(hidden=[100, 100])`, `recurrent gru(hidden=64, output=all)`,
 * `recurrent rnn(hidden=[32], activation=relu)`, `recurrent rnn(hidden=[g, 64])`,
 * `recurrent lstm(hidden=64, padded=true)` (the last feature flags real steps):
 * a stack of recurrent layers over an input [steps, features], before the
 * dense layers. A layer's width is a size or the name of a graph, whose
 * vertices are its hidden neurons and whose edges its hidden-to-hidden
 * connections (elaborate builds it, lower turns it into the mask). The call
 * is checked here, the input's shape once it is known (`checkRecurrentInput`).
 */
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Value } from "../parse/ast.js";
import type { RecurrentKind, RecurrentSpec } from "../../runtime/spec.js";
import { resolveArguments, checkScalar, type ParameterRule } from "./arguments.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

/** One layer's width as written: a size, or a graph whose vertex count is the size and whose edges are the hidden-to-hidden connections. */
export type RecurrentWidth = number | { readonly graph: string; readonly span: Span };

export type CheckedRecurrent = Omit<RecurrentSpec, "masks" | "hidden"> & { readonly hidden: readonly RecurrentWidth[]; readonly span: Span };

/** Names the checker resolves a graph reference against. */
export interface RecurrentScope {
  /** Every declared name and what it declares ("graph", "network", "data"). */
  readonly declared: ReadonlyMap<string, { readonly kind: string }>;
  /** Graphs that passed their own checks (a broken one was reported already). */
  readonly graphNames: ReadonlySet<string>;
  readonly allGraphNames: readonly string[];
}

/** The largest hidden size, written or a graph's vertex count. */
export const MAX_HIDDEN = 65536;

const COMMON: readonly ParameterRule[] = [
  { name: "hidden", kind: "custom" },
  { name: "output", kind: "choice", choices: ["last", "all"], default: "last" },
  { name: "padded", kind: "boolean", default: false },
];

/** Each recurrent kind's parameters, in order (the language server lists them from here). */
export const recurrentRules: Readonly<Record<RecurrentKind, readonly ParameterRule[]>> = {
  rnn: [...COMMON, { name: "activation", kind: "choice", choices: ["tanh", "relu"], default: "tanh" }],
  gru: COMMON,
  lstm: COMMON,
};

/** The stack one `recurrent` setting describes, or undefined after reporting a problem. */
export function checkRecurrent(value: Value, scope: RecurrentScope, bag: DiagnosticBag): CheckedRecurrent | undefined {
  if (value.kind !== "Call") {
    bag.report("DS2005", value.span, ["recurrent", "a call such as lstm(hidden=[100, 100]), gru(hidden=64) or rnn(hidden=32)", describeValue(value)]);
    return undefined;
  }
  const kind = value.callee.name;
  if (!Object.hasOwn(recurrentRules, kind)) {
    bag.report("DS2057", value.callee.span, [kind], didYouMean(kind, Object.keys(recurrentRules)));
    return undefined;
  }
  const args = resolveArguments(value, recurrentRules[kind as RecurrentKind], bag);
  if (args === undefined) return undefined;
  const widths = args.hidden as Value;
  if (widths.kind === "ListLiteral" && widths.items.length === 0) {
    const argument = value.args.find((a) => a.name?.name === "hidden") ?? value.args[0];
    bag.report("DS2005", argument?.span ?? value.span, ["hidden", "one hidden size or a list of them, one per layer", "an empty list"]);
    return undefined;
  }
  const hidden = checkWidths(widths, scope, bag);
  if (hidden === undefined) return undefined;
  const activation = (args.activation ?? "tanh") as "tanh" | "relu";
  const padded = args.padded === true ? { padded: true } : {};
  return { kind: kind as RecurrentKind, activation, hidden, output: args.output as "last" | "all", ...padded, span: value.span };
}

/** `hidden=64`, `hidden=[64, 32]`, `hidden=g`, `hidden=[g, 64]`: each item a size or a graph's name. */
function checkWidths(value: Value, scope: RecurrentScope, bag: DiagnosticBag): RecurrentWidth[] | undefined {
  const items = value.kind === "ListLiteral" ? value.items : [value];
  const widths: RecurrentWidth[] = [];
  let ok = true;
  for (const item of items) {
    if (item.kind !== "NameReference" && item.kind !== "NumberLiteral") {
      bag.report("DS2005", item.span, ["hidden", "a hidden size or the name of a graph", describeValue(item)], "e.g. hidden=64, hidden=[64, 32] or hidden=[g, 64]");
      ok = false;
      continue;
    }
    const width = item.kind === "NameReference" ? checkGraphWidth(item.name, item.span, scope, bag) : checkScalar("hidden", item, "integer", { min: 1, max: MAX_HIDDEN }, bag);
    if (typeof width === "number" || typeof width === "object") widths.push(width);
    else ok = false;
  }
  return ok ? widths : undefined;
}

function checkGraphWidth(name: string, span: Span, scope: RecurrentScope, bag: DiagnosticBag): RecurrentWidth | undefined {
  const declared = scope.declared.get(name);
  if (declared === undefined) {
    const hint = scope.allGraphNames.length > 0 ? didYouMean(name, scope.allGraphNames) : "declare it first, e.g. graph g = watts_strogatz(64, 6, 0.1, seed=1)";
    bag.report("DS2003", span, [name], hint);
    return undefined;
  }
  if (declared.kind !== "graph") {
    bag.report("DS2005", span, ["hidden", "a hidden size or the name of a graph", `${declared.kind} '${name}'`]);
    return undefined;
  }
  return scope.graphNames.has(name) ? { graph: name, span } : undefined;
}

/** Whether the input is [steps, features]; reports an input of another shape. */
export function checkRecurrentInput(networkName: string, inputShape: readonly number[], inputSpan: Span, stack: CheckedRecurrent, bag: DiagnosticBag): boolean {
  if (inputShape.length !== 2) {
    bag.report("DS2058", inputSpan, [networkName, `[${inputShape.join(", ")}]`], "write it as [steps, features], e.g. input [20, 1] for sequences of 20 numbers");
    return false;
  }
  if (stack.padded === true && inputShape[1]! < 2) {
    bag.report("DS2063", inputSpan, [networkName, `[${inputShape.join(", ")}]`], `add the flag to the features: input [${inputShape[0]}, ${inputShape[1]! + 1}]`);
    return false;
  }
  return true;
}

/** The graphs a stack takes its layers' connectivity from, by name, each once. */
export function recurrentGraphNames(stack: CheckedRecurrent | undefined): string[] {
  return [...new Set((stack?.hidden ?? []).flatMap((w) => (typeof w === "number" ? [] : [w.graph])))];
}
