/**
 * Carrying a stack of feature layers (a stem, a cell, a cell network's head)
 * into the grown network, channel by channel: output channel o of a conv
 * stays channel o, and its input channels correspond as `inputs` says. A
 * weight between corresponding channels keeps its value, its static mask
 * and its learned mask logits (carried-logits.ts); weights into new channels keep the grown network's drawn
 * values, its static mask and its fresh logits; weights out of new channels
 * start at 0 (`zero`, which keeps the outputs in inference) or stay drawn
 * (`fresh`); an output channel with no live weight (a pruned filter) gets
 * none from new input channels either, so it stays pruned and is still not
 * computed. Biases and batch norms keep their values per channel; a new
 * channel's are a fresh layer's (bias 0; gain 1, shift 0, running mean 0,
 * running variance 1: the identity a batch norm starts as).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../model.js";
import type { FeatureLayerSpec } from "../spec.js";
import type { CarriedLogits } from "./carried-logits.js";
import { writeVariable } from "../storage/blocks.js";

/** For each channel of a map in the grown model, the same channel in the old model (undefined: new). */
export type ChannelMap = readonly (number | undefined)[];

/** The first `old` of `size` channels are the old ones, in order. */
export const leadingChannels = (size: number, old: number): ChannelMap => Array.from({ length: size }, (_, c) => (c < old ? c : undefined));

function variableOf(model: Model, name: string): tf.Variable | undefined {
  return (model.parameters.find((p) => p.name === name) ?? model.state.find((p) => p.name === name))?.variable;
}

/** A conv's weight shape, HWIO. */
type WeightShape = readonly [number, number, number, number];

/** Both networks' weight shapes of a conv, refusing one the old network lacks or whose kernel differs. */
function convShapes(old: Model, grown: Model, name: string): [WeightShape, WeightShape] {
  const shape = grown.features.find((f) => f.name === name)!.weightShape!;
  const oldShape = old.features.find((f) => f.name === name)?.weightShape;
  if (oldShape === undefined || oldShape[0] !== shape[0] || oldShape[1] !== shape[1]) {
    const had = oldShape === undefined ? "has no such conv" : `has a ${oldShape[0]}×${oldShape[1]} kernel there`;
    throw new Error(
      `growInto: conv '${name}' of '${grown.name}' has a ${shape[0]}×${shape[1]} kernel, but '${old.name}' ${had}; growth widens layers, it keeps their kinds and kernels`,
    );
  }
  return [oldShape, shape];
}

/** 1 for each output channel of an HWIO mask with no live entry (a pruned filter). */
function prunedChannels(mask: Uint8Array, channels: number): Uint8Array {
  const live = new Uint8Array(channels);
  mask.forEach((m, k) => m === 1 && (live[k % channels] = 1));
  return live.map((l) => 1 - l);
}

/** A conv's weights, mask, logits and bias from old to grown through `inputs`; returns its output channel map. */
function transferConv(old: Model, grown: Model, name: string, inputs: ChannelMap, zero: boolean, logits: CarriedLogits): ChannelMap {
  const [[, , oldIn, oldOut], [kh, kw, cin, cout]] = convShapes(old, grown, name);
  const [weight, oldWeight] = [variableOf(grown, `${name}.weight`)!, variableOf(old, `${name}.weight`)!.dataSync()];
  const values = weight.dataSync().slice() as Float32Array;
  const mask = grown.getMask(name);
  const oldMask = old.getMask(name);
  const pruned = prunedChannels(oldMask, oldOut);
  for (let tap = 0; tap < kh * kw; tap++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < Math.min(cout, oldOut); o++) {
        const k = (tap * cin + i) * cout + o;
        const from = inputs[i];
        if (from === undefined) {
          if (zero) values[k] = 0;
          // A pruned output channel stays pruned, new inputs included, so it is still not computed.
          if (pruned[o] === 1) mask[k] = 0;
          continue;
        }
        const j = (tap * oldIn + from) * oldOut + o;
        values[k] = oldWeight[j]!;
        mask[k] = oldMask[j]!;
        logits.carry(name, k, j);
      }
    }
  }
  writeVariable(weight, values);
  grown.setMask(name, mask);
  const outputs = leadingChannels(cout, oldOut);
  copyPerChannel(old, grown, `${name}.bias`, outputs, 0);
  return outputs;
}

/** A per-channel vector (bias, gain, shift, running statistics): old values where the channel existed, `fill` elsewhere. */
function copyPerChannel(old: Model, grown: Model, name: string, channels: ChannelMap, fill: number): void {
  const before = variableOf(old, name)!.dataSync();
  writeVariable(
    variableOf(grown, name)!,
    Float32Array.from(channels, (c) => (c === undefined ? fill : before[c]!)),
  );
}

/** A stack of layers over maps whose channels correspond by `inputs`; returns the output's channel map. */
export function transferStack(old: Model, grown: Model, layers: readonly FeatureLayerSpec[], inputs: ChannelMap, zero: boolean, logits: CarriedLogits): ChannelMap {
  let channels = inputs;
  for (const layer of layers) {
    if (layer.kind === "conv") channels = transferConv(old, grown, layer.name, channels, zero, logits);
    else if (layer.kind === "batchNorm") {
      if (old.features.find((f) => f.name === layer.name)?.kind !== "batchNorm") {
        throw new Error(`growInto: '${old.name}' has no batch norm '${layer.name}' to carry into '${grown.name}'; growth widens layers, it keeps their kinds`);
      }
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

/**
 * The stem of a network without cells: its channels correspond one to one,
 * and its output, flattened, is the dense part's input, so it must keep its
 * shape (the dense part's input neurons correspond by index).
 */
export function transferStem(old: Model, grown: Model, zero: boolean, logits: CarriedLogits): void {
  const layers = grown.spec.features ?? [];
  if (layers.length === 0 && (old.spec.features ?? []).length === 0) return;
  const [before, after] = [old.features.at(-1)?.outputShape ?? old.inputShape, grown.features.at(-1)?.outputShape ?? grown.inputShape];
  if (before.join() !== after.join() || layers.length !== (old.spec.features ?? []).length) {
    throw new Error(
      `growInto: the feature layers of '${old.name}' (${old.features.length}, output [${before.join(", ")}]) and of '${grown.name}' (${grown.features.length}, output [${after.join(", ")}]) differ; a network grows in its structure, its feature layers stay as they are`,
    );
  }
  const channels = grown.inputShape[0] ?? 0;
  transferStack(old, grown, layers, leadingChannels(channels, channels), zero, logits);
}
