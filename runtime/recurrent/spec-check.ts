/** The runtime's check of a spec's recurrent stack (data from a generated module or a file) before anything is built. */
import type { NetworkSpec } from "../spec.js";
import { recurrentOutputSize } from "./shapes.js";

const KINDS = new Set(["rnn", "gru", "lstm"]);

/** Layer 0's size with the stack in `spec.recurrent`; calls `fail` for a malformed stack. */
export function expectedRecurrentInputSize(spec: NetworkSpec, fail: (message: string) => never): number {
  const r = spec.recurrent!;
  if (r === null || typeof r !== "object") fail("recurrent must be an object");
  if (spec.features !== undefined) fail("a network has either feature layers or a recurrent stack, not both");
  if (!KINDS.has(r.kind)) fail(`recurrent layers have unknown kind '${String(r.kind)}'; kinds are rnn, gru, lstm`);
  if (r.activation !== "tanh" && r.activation !== "relu") fail(`recurrent activation '${String(r.activation)}' must be tanh or relu`);
  if (r.output !== "last" && r.output !== "all") fail(`recurrent output '${String(r.output)}' must be last or all`);
  if (!Array.isArray(r.hidden) || r.hidden.length === 0 || !r.hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    fail("recurrent hidden sizes must be a non-empty list of positive integers");
  }
  if (r.padded !== undefined && typeof r.padded !== "boolean") fail(`recurrent padded must be true or false, got ${String(r.padded)}`);
  if (r.masks !== undefined && (!Array.isArray(r.masks) || r.masks.length !== r.hidden.length)) fail(`recurrent masks must list one entry per layer (${r.hidden.length})`);
  const shape = spec.inputShape;
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) fail(`recurrent layers need an input [steps, features], got [${shape.join(", ")}]`);
  if (r.padded === true && shape[1]! < 2) fail(`padded recurrent layers need at least 2 features per step (the values and the real-step flag), got [${shape.join(", ")}]`);
  return recurrentOutputSize(r, shape[0]!);
}
