/**
 * A `prune` line's scope as the runtime takes it: `layers=[…]` resolved into
 * the weights getMask names — a conv by its name (`conv2`, a cell's
 * `cell3.conv1`, the head's `head.conv`), a recurrent layer as both its
 * weights (`lstm1` → `lstm1.input`, `lstm1.hidden`) or one of them by name,
 * and dense layers and graphs as the blocks entering them — and its `unit`
 * checked against the kinds of weight in that scope (runtime/pruning/units.ts):
 * `unit=gate` naming a dense layer or a conv is DS2005 at that name.
 */
import type { PruningSchedule } from "../../runtime/pruning/schedule.js";
import { UNIT_FITS } from "../../runtime/pruning/units.js";
import type { PrunableWeight } from "../../runtime/pruning/weights.js";
import type { PruneUnit } from "../../runtime/spec.js";
import type { CheckedSchedule, LayerSelection } from "../check/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";

/** What the network's names stand for, and how to turn dense names into blocks (reporting unknown names). */
export interface PruningNames {
  readonly network: string;
  readonly convs: ReadonlySet<string>;
  /** Recurrent layers' names (`lstm1`, …). */
  readonly recurrent: readonly string[];
  /** The blocks entering the named dense layers and graphs, or undefined after reporting a name that is neither. */
  readonly denseBlocks: (selection: LayerSelection) => string[] | undefined;
}

const HINTS: Readonly<Record<PruneUnit, string>> = {
  weight: "",
  kernel: "kernels are units of convs: name conv layers in layers=[…], or take unit=neuron for dense and recurrent layers",
  channel: "channels are units of convs: name conv layers in layers=[…], or take unit=neuron for dense and recurrent layers",
  neuron: "neurons are units of dense and recurrent layers: name those in layers=[…], or take unit=channel or unit=kernel for convs",
  gate: "gates are units of recurrent layers (rnn, gru, lstm): name those in layers=[…], or take unit=neuron for dense layers or unit=channel for convs",
  layer: "",
};

/** What the network has of each kind a unit may need (every network has dense blocks: at least its output's). */
const NEEDS: Readonly<Record<"conv" | "recurrent", string>> = { conv: "a network with conv layers", recurrent: "a network with recurrent layers" };

/** The kind of weight a name selects, and the weights it stands for. */
function classify(name: string, names: PruningNames): { kind: PrunableWeight["kind"]; weights: string[]; what: string } {
  if (names.convs.has(name)) return { kind: "conv", weights: [name], what: `conv layer '${name}'` };
  if (names.recurrent.includes(name)) return { kind: "recurrent", weights: [`${name}.input`, `${name}.hidden`], what: `recurrent layer '${name}'` };
  const weight = /^(.+)\.(input|hidden)$/.exec(name);
  if (weight !== null && names.recurrent.includes(weight[1]!)) return { kind: "recurrent", weights: [name], what: `recurrent weight '${name}'` };
  return { kind: "dense", weights: [], what: `dense layer or graph '${name}'` };
}

/** The runtime's schedule for one `prune` line, or undefined after reporting what is wrong with its scope or unit. */
export function lowerSchedule(checked: CheckedSchedule, names: PruningNames, bag: DiagnosticBag): PruningSchedule | undefined {
  const { schedule, layers: selection } = checked;
  const unit = schedule.unit ?? "weight";
  const fits = UNIT_FITS[unit];
  if (selection.names.length === 0) {
    // Left out, the scope is every weight the unit fits (the runtime picks them): there must be one.
    if (fits.includes("dense") || (fits.includes("conv") && names.convs.size > 0) || (fits.includes("recurrent") && names.recurrent.length > 0)) return schedule;
    const needed = fits.includes("conv") ? NEEDS.conv : NEEDS.recurrent;
    bag.report("DS2005", checked.unitSpan ?? selection.span, [`unit=${unit}`, needed, `network '${names.network}', which has none`], HINTS[unit]);
    return undefined;
  }
  const classified = selection.names.map((name) => classify(name, names));
  const dense = selection.names.filter((_, i) => classified[i]!.kind === "dense");
  // Only convs and recurrent weights named: no dense block (denseBlocks would take all for an empty list). Unknown names are reported there.
  const blocks = dense.length === 0 ? [] : names.denseBlocks({ ...selection, names: dense });
  if (blocks === undefined) return undefined;
  let fitting = true;
  selection.names.forEach((_, i) => {
    const { kind, what } = classified[i]!;
    if (fits.includes(kind)) return;
    bag.report("DS2005", selection.spans?.[i] ?? selection.span, [`unit=${unit}`, fits.map((k) => `${k} layers`).join(" or "), what], HINTS[unit]);
    fitting = false;
  });
  if (!fitting) return undefined;
  const weights = classified.flatMap((c) => c.weights);
  return { ...schedule, blocks: [...weights, ...blocks] };
}
