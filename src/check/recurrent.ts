/**
 * `recurrent lstm(hidden=[100, 100])`, `recurrent gru(hidden=64, output=all)`,
 * `recurrent rnn(hidden=[32], activation=relu)`: a stack of recurrent layers
 * over an input [steps, features], before the dense layers. The call is
 * checked here, the input's shape once it is known (`checkRecurrentInput`).
 */
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Value } from "../parse/ast.js";
import type { RecurrentKind, RecurrentSpec } from "../../runtime/spec.js";
import { recurrentOutputSize } from "../../runtime/recurrent/shapes.js";
import { resolveArguments, type ParameterRule } from "./arguments.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

export type CheckedRecurrent = Omit<RecurrentSpec, "masks"> & { readonly span: Span };

const COMMON: readonly ParameterRule[] = [
  { name: "hidden", kind: "integers", min: 1, max: 65536 },
  { name: "output", kind: "choice", choices: ["last", "all"], default: "last" },
];

/** Each recurrent kind's parameters, in order (the language server lists them from here). */
export const recurrentRules: Readonly<Record<RecurrentKind, readonly ParameterRule[]>> = {
  rnn: [...COMMON, { name: "activation", kind: "choice", choices: ["tanh", "relu"], default: "tanh" }],
  gru: COMMON,
  lstm: COMMON,
};

/** The stack one `recurrent` setting describes, or undefined after reporting a problem. */
export function checkRecurrent(value: Value, bag: DiagnosticBag): CheckedRecurrent | undefined {
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
  const hidden = args.hidden as readonly number[];
  if (hidden.length === 0) {
    const argument = value.args.find((a) => a.name?.name === "hidden") ?? value.args[0];
    bag.report("DS2005", argument?.span ?? value.span, ["hidden", "one hidden size or a list of them, one per layer", "an empty list"]);
    return undefined;
  }
  const activation = (args.activation ?? "tanh") as "tanh" | "relu";
  return { kind: kind as RecurrentKind, activation, hidden: [...hidden], output: args.output as "last" | "all", span: value.span };
}

/** Layer 0's size over the input [steps, features], or undefined after reporting an input of another shape. */
export function checkRecurrentInput(networkName: string, inputShape: readonly number[], inputSpan: Span, recurrent: CheckedRecurrent, bag: DiagnosticBag): number | undefined {
  if (inputShape.length !== 2) {
    bag.report("DS2058", inputSpan, [networkName, `[${inputShape.join(", ")}]`], "write it as [steps, features], e.g. input [20, 1] for sequences of 20 numbers");
    return undefined;
  }
  return recurrentOutputSize(recurrent, inputShape[0]!);
}
