/** The recurrent stack as the runtime runs it: the checked call without its place in the source, fields in the spec's order. */
import type { CheckedRecurrent } from "../check/recurrent.js";
import type { RecurrentSpec } from "../../runtime/spec.js";

export function lowerRecurrent(stack: CheckedRecurrent): RecurrentSpec {
  return { kind: stack.kind, activation: stack.activation, hidden: [...stack.hidden], output: stack.output };
}
