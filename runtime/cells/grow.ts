/**
 * Carrying a trained cell network's feature layers into a larger one (the
 * same graph as a scalable family at a larger scale, so every cell's convs
 * are wider): output channel o of a conv stays channel o, and a cell's input
 * channels correspond through the concatenation of its inputs (channel k of
 * predecessor u stays channel k of u). A weight between corresponding
 * channels keeps its value and mask; weights into new channels keep the
 * grown model's drawn values; weights out of new channels start at 0
 * (`zero`, which keeps the outputs in inference) or stay drawn (`fresh`).
 * Batch norms keep their gains, shifts and running statistics per channel.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../model.js";
import type { FeatureLayerSpec } from "../spec.js";
import { sinkVertices, type CellNetworkSpec } from "./spec.js";

/** For each channel of a map in the grown model, the same channel in the old model (undefined: new). */
type ChannelMap = readonly (number | undefined)[];

const identity = (size: number, old: number): ChannelMap => Array.from({ length: size }, (_, c) => (c < old ? c : undefined));

function variableOf(model: Model, name: string): tf.Variable | undefined {
  return (model.parameters.find((p) => p.name === name) ?? model.state.find((p) => p.name === name))?.variable;
}

function assign(variable: tf.Variable, values: Float32Array): void {
  const tensor = tf.tensor(values, variable.shape, "float32");
  variable.assign(tensor);
  tensor.dispose();
}

/** A conv's weights, mask and bias from old to grown through `inputs`; returns its output channel map. */
function transferConv(old: Model, grown: Model, name: string, inputs: ChannelMap, zero: boolean): ChannelMap {
  const [kh, kw, cin, cout] = grown.features.find((f) => f.name === name)!.weightShape!;
  const [, , oldIn, oldOut] = old.features.find((f) => f.name === name)!.weightShape!;
  const [weight, oldWeight] = [variableOf(grown, `${name}.weight`)!, variableOf(old, `${name}.weight`)!.dataSync()];
  const values = weight.dataSync().slice() as Float32Array;
  const mask = grown.getMask(name);
  const oldMask = old.getMask(name);
  for (let tap = 0; tap < kh * kw; tap++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < Math.min(cout, oldOut); o++) {
        const k = (tap * cin + i) * cout + o;
        const from = inputs[i];
        if (from === undefined) {
          if (zero) values[k] = 0;
          continue;
        }
        const j = (tap * oldIn + from) * oldOut + o;
        values[k] = oldWeight[j]!;
        mask[k] = oldMask[j]!;
      }
    }
  }
  assign(weight, values);
  grown.setMask(name, mask);
  const outputs = identity(cout, oldOut);
  copyPerChannel(old, grown, `${name}.bias`, outputs, 0);
  return outputs;
}

/** A per-channel vector (bias, gain, shift, running statistics): old values where the channel existed, `fill` elsewhere. */
function copyPerChannel(old: Model, grown: Model, name: string, channels: ChannelMap, fill: number): void {
  const before = variableOf(old, name)!.dataSync();
  assign(
    variableOf(grown, name)!,
    Float32Array.from(channels, (c) => (c === undefined ? fill : before[c]!)),
  );
}

/** A stack of layers over maps whose channels correspond by `inputs`; returns the output's channel map. */
function transferStack(old: Model, grown: Model, layers: readonly FeatureLayerSpec[], inputs: ChannelMap, zero: boolean): ChannelMap {
  let channels = inputs;
  for (const layer of layers) {
    if (layer.kind === "conv") channels = transferConv(old, grown, layer.name, channels, zero);
    else if (layer.kind === "batchNorm") {
      for (const [what, fill] of [
        ["gain", 1],
        ["shift", 0],
        ["runningMean", 0],
        ["runningVariance", 1],
      ] as const)
        copyPerChannel(old, grown, `${layer.name}.${what}`, channels, fill);
    }
  }
  return channels;
}

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
export function transferCells(old: Model, grown: Model, cells: CellNetworkSpec, oldCells: CellNetworkSpec, mode: "zero" | "fresh"): void {
  const same =
    cells.vertices.length === oldCells.vertices.length &&
    cells.vertices.every((c, i) => c.vertex === oldCells.vertices[i]!.vertex && c.inputs.join() === oldCells.vertices[i]!.inputs.join());
  if (!same)
    throw new Error(`growInto: the cell networks are over different graphs ('${oldCells.graph}' and '${cells.graph}'); a cell network grows into the same graph at a larger scale`);
  const zero = mode === "zero";
  const inputChannels = grown.inputShape[0]!;
  const front = transferStack(old, grown, grown.spec.features ?? [], identity(inputChannels, inputChannels), zero);
  const frontOld = old.spec.features?.length ? old.features[old.spec.features.length - 1]!.outputShape[0] : inputChannels;
  const made = new Map<number, { map: ChannelMap; oldChannels: number }>();
  const oldWidth = (v: number): number => old.features.find((f) => f.name === oldCells.vertices.find((c) => c.vertex === v)!.layers.at(-1)!.name)!.outputShape[0];
  for (const cell of cells.vertices) {
    const inputs = cell.inputs.length === 0 ? front.map((c) => (c !== undefined && c < frontOld ? c : undefined)) : concatenated(cell.inputs.map((u) => made.get(u)!));
    made.set(cell.vertex, { map: transferStack(old, grown, cell.layers, inputs, zero), oldChannels: oldWidth(cell.vertex) });
  }
  transferStack(old, grown, cells.head, concatenated(sinkVertices(cells).map((v) => made.get(v)!)), zero);
}
