/**
 * Carrying a trained cell network's feature layers into a larger one (the
 * same graph as a scalable family at a larger scale, so every cell's convs
 * are wider): output channel o of a conv stays channel o, and a cell's input
 * channels correspond through the concatenation of its inputs (channel k of
 * predecessor u stays channel k of u). What each conv and batch norm keeps —
 * weights, masks, learned mask logits, biases, gains, shifts and running
 * statistics between corresponding channels — is growing/feature-transfer.ts's.
 */
import type { Model } from "../model.js";
import type { CarriedLogits } from "../growing/carried-logits.js";
import { leadingChannels, transferStack, type ChannelMap } from "../growing/feature-transfer.js";
import { sinkVertices, type CellNetworkSpec } from "./spec.js";

/** The channel map of maps concatenated from `parts` (each a grown map's channel map, and its old channel count). */
function concatenated(parts: readonly { readonly map: ChannelMap; readonly oldChannels: number }[]): ChannelMap {
  const result: (number | undefined)[] = [];
  let offset = 0;
  for (const { map, oldChannels } of parts) {
    for (const c of map) result.push(c === undefined ? undefined : offset + c);
    offset += oldChannels;
  }
  return result;
}

/** Moves the stem's, every cell's and the head's parameters and state from `old` into `grown` (both cell networks of the same graph). */
export function transferCells(old: Model, grown: Model, cells: CellNetworkSpec, oldCells: CellNetworkSpec, mode: "zero" | "fresh", logits: CarriedLogits): void {
  const same =
    cells.vertices.length === oldCells.vertices.length &&
    cells.vertices.every((c, i) => c.vertex === oldCells.vertices[i]!.vertex && c.inputs.join() === oldCells.vertices[i]!.inputs.join());
  if (!same)
    throw new Error(`growInto: the cell networks are over different graphs ('${oldCells.graph}' and '${cells.graph}'); a cell network grows into the same graph at a larger scale`);
  const zero = mode === "zero";
  const inputChannels = grown.inputShape[0]!;
  const front = transferStack(old, grown, grown.spec.features ?? [], leadingChannels(inputChannels, inputChannels), zero, logits);
  const frontOld = old.spec.features?.length ? old.features[old.spec.features.length - 1]!.outputShape[0] : inputChannels;
  const made = new Map<number, { map: ChannelMap; oldChannels: number }>();
  const oldWidth = (v: number): number => old.features.find((f) => f.name === oldCells.vertices.find((c) => c.vertex === v)!.layers.at(-1)!.name)!.outputShape[0];
  for (const cell of cells.vertices) {
    const inputs = cell.inputs.length === 0 ? front.map((c) => (c !== undefined && c < frontOld ? c : undefined)) : concatenated(cell.inputs.map((u) => made.get(u)!));
    made.set(cell.vertex, { map: transferStack(old, grown, cell.layers, inputs, zero, logits), oldChannels: oldWidth(cell.vertex) });
  }
  transferStack(old, grown, cells.head, concatenated(sinkVertices(cells).map((v) => made.get(v)!)), zero, logits);
}
