/**
 * `mask dense(…)`, `mask random(…)` and `mask file(…)` over weights outside
 * the dense blocks: convs (order 0, row-major HWIO) and recurrent weights
 * (`lstm1.input`, `lstm1.hidden`, row-major [rows, gates · hidden]). Each
 * weight is a 0/1 array under a name the runtime's getMask takes, and belongs
 * to the layer `layers=[…]` names (a conv is its own layer; both recurrent
 * weights belong to their layer). A line with no `layers` takes them all.
 *
 * A random mask keeps each live entry with probability `density`, one draw
 * per live entry from its own stream of `seed`, weights in order. A mask file
 * holds, per weight name, its entries in that row-major order; it is
 * intersected with the weight's mask (it can switch entries off, never add
 * ones), and a selected weight missing from it is DS2023. An unreadable or
 * malformed file is reported once, by the dense blocks' pass (policies.ts).
 */
import type { LayerSelection, MaskPolicy } from "../check/program.js";
import type { MaskFile } from "../elaborate/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { createRandom } from "../../runtime/random.js";

export interface NamedWeightMask {
  /** The layer `layers=[…]` names to select it. */
  readonly layer: string;
  /** 1 where the entry is live, row-major; changed in place. */
  readonly live: Uint8Array;
}

function selects(selection: LayerSelection, layer: string): boolean {
  return selection.names.length === 0 || selection.names.includes(layer);
}

function applyFile(policy: Extract<MaskPolicy, { kind: "file" }>, file: MaskFile | undefined, name: string, live: Uint8Array, bag: DiagnosticBag): void {
  if (file === undefined || "problem" in file) return;
  const values = file.masks[name];
  if (values === undefined || values.length !== live.length) {
    const reason = values === undefined ? `it has no mask for '${name}'` : `the mask of '${name}' has ${values.length} entries; expected ${live.length}`;
    bag.report("DS2023", policy.span, [policy.path, reason]);
    return;
  }
  for (let k = 0; k < live.length; k++) if (values[k] !== 1) live[k] = 0;
}

/** Applies every dense, random and file line of `policies` to `weights`, in the order written (learnable lines are the runtime's). */
export function applyWeightMasks(
  policies: readonly MaskPolicy[],
  weights: ReadonlyMap<string, NamedWeightMask>,
  maskFiles: ReadonlyMap<string, MaskFile>,
  bag: DiagnosticBag,
): void {
  for (const policy of policies) {
    if (policy.kind === "learnable") continue;
    const random = createRandom(policy.kind === "random" ? policy.seed : 0);
    for (const [name, { layer, live }] of weights) {
      if (!selects(policy.layers, layer)) continue;
      if (policy.kind === "dense") live.fill(1);
      else if (policy.kind === "file") applyFile(policy, maskFiles.get(policy.path), name, live, bag);
      else for (let k = 0; k < live.length; k++) if (live[k] === 1 && !(random.next() < policy.density)) live[k] = 0;
    }
  }
}
