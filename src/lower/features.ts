/**
 * Feature layers as the runtime runs them: each named by its kind and count
 * (`conv1`, `bn1`, `pool2`, `gap1`), and the network's activation placed
 * after each conv — after its batch norm when one follows directly, as in
 * conv → batch norm → relu.
 */
import type { CheckedFeature } from "../check/features.js";
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
