/**
 * The biases of convs a batch norm follows, in every stack of feature
 * layers (the stem's, each cell's, a cell network's head). The batch norm
 * subtracts the batch mean, bias included, so their true gradient is 0; in
 * floats it is rounding noise, which Adam scales up to steps of ±lr. The
 * training step gives them an exact 0 gradient (training/step.ts), as the
 * PyTorch target does, so they stay where they were drawn or loaded and
 * nothing else changes.
 */
import type { NetworkSpec } from "../spec.js";

/** The parameter names (`conv1.bias`, `cell3.conv1.bias`) of those biases. */
export function batchNormedConvBiases(spec: NetworkSpec): Set<string> {
  const { features = [], cells } = spec;
  const stacks = [features, ...(cells?.vertices.map((cell) => cell.layers) ?? []), ...(cells ? [cells.head] : [])];
  return new Set(stacks.flatMap((layers) => layers.flatMap((layer, i) => (layer.kind === "conv" && layers[i + 1]?.kind === "batchNorm" ? [`${layer.name}.bias`] : []))));
}
