/**
 * Feature layers as the runtime runs them: each named by its kind and count
 * (`conv1`, `bn1`, `pool2`, `gap1`), and the network's activation placed
 * after each conv — after its batch norm when one follows directly, as in
 * conv → batch norm → relu.
 */
import type { CheckedFeature } from "../check/features.js";
import type { CheckedNetwork } from "../check/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { featureShapes, type ChannelsFirst } from "../../runtime/features/shapes.js";
import { encodeMask } from "../../runtime/masks/codec.js";
import type { MaskFile } from "../elaborate/program.js";
import { applyWeightMasks, type NamedWeightMask } from "./weight-masks.js";
import type { FeatureLayerSpec } from "../../runtime/spec.js";

const PREFIX = { conv: "conv", maxPool: "pool", avgPool: "pool", globalAvgPool: "gap", batchNorm: "bn" } as const;

export function lowerFeatures(features: readonly CheckedFeature[]): FeatureLayerSpec[] {
  const counts = new Map<string, number>();
  return features.map(({ layer }, i): FeatureLayerSpec => {
    const prefix = PREFIX[layer.kind];
    const index = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, index);
    const name = `${prefix}${index}`;
    const nextIsNorm = features[i + 1]?.layer.kind === "batchNorm";
    // The name first, so the emitted literal reads like the .ds line.
    if (layer.kind === "conv") return { name, ...layer, activate: !nextIsNorm };
    if (layer.kind === "batchNorm") return { name, ...layer, activate: features[i - 1]?.layer.kind === "conv" };
    return { name, ...layer };
  });
}

type ConvSpec = Extract<FeatureLayerSpec, { kind: "conv" }>;

/**
 * `mask dense()`, `mask random(density, seed)` and `mask file(path)` over
 * conv weights (order 0: each weight of each filter), for the convs their
 * `layers=[…]` names or for all when it names none (weight-masks.ts: a random
 * mask draws once per live weight from its own stream of `seed`, convs in
 * order, weights row-major in the HWIO shape; a file holds each conv's mask
 * under its name in that order). `inputChannels` gives each conv's input
 * channels (a cell network's convs read maps made elsewhere in its graph).
 * Learnable masks, pruning schedules (synflow included) and `grow` reach
 * convs at run time.
 */
export function applyFeatureMasks(
  network: CheckedNetwork,
  layers: readonly FeatureLayerSpec[],
  maskFiles: ReadonlyMap<string, MaskFile>,
  bag: DiagnosticBag,
  inputChannels: ReadonlyMap<string, number> | undefined = stackInputChannels(network.inputShape as unknown as ChannelsFirst, layers),
): FeatureLayerSpec[] {
  if (inputChannels === undefined) return [...layers];
  const masks = new Map<string, NamedWeightMask>();
  for (const layer of layers) {
    if (layer.kind === "conv")
      masks.set(layer.name, { layer: layer.name, live: new Uint8Array(layer.kernel[0] * layer.kernel[1] * inputChannels.get(layer.name)! * layer.channels).fill(1) });
  }
  applyWeightMasks(network.masks, masks, maskFiles, bag);
  return layers.map((layer) => {
    if (layer.kind !== "conv") return layer;
    const { live } = masks.get(layer.name)!;
    const indices: number[] = [];
    live.forEach((v, k) => v === 1 && indices.push(k));
    return indices.length === live.length ? layer : ({ ...layer, mask: encodeMask(live.length, indices) } satisfies ConvSpec);
  });
}

/** Each conv's input channels in a stack of layers over `input`; undefined when the stack does not fit. */
export function stackInputChannels(input: ChannelsFirst, layers: readonly FeatureLayerSpec[]): Map<string, number> | undefined {
  const result = featureShapes(input, layers);
  if (!("shapes" in result)) return undefined;
  return new Map(layers.flatMap((layer, i) => (layer.kind === "conv" ? [[layer.name, result.shapes[i]![0]] as const] : [])));
}
