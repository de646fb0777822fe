import { encodeIntegers, encodeMask, FULL_MASK } from "../../runtime/masks/codec.js";
import type { NetworkSpec } from "../../runtime/spec.js";
import type { KernelPlan } from "../fuse/plan.js";

/** The plain-data description of a planned network that the runtime builds from. */
export function networkSpec(plan: KernelPlan): NetworkSpec {
  const { network } = plan;
  return {
    name: network.name,
    inputShape: network.inputShape,
    activation: network.activation,
    layerNorm: network.layerNorm,
    layers: network.layers.map((layer) => ({
      name: layer.name,
      origin: layer.origin,
      size: layer.size,
      ...(layer.vertices === undefined ? {} : { vertices: encodeIntegers(layer.vertices) }),
    })),
    blocks: network.blocks.map((block) => ({
      name: block.name,
      source: block.source,
      target: block.target,
      mask:
        block.mask.kind === "full"
          ? FULL_MASK
          : encodeMask(network.layers[block.source]!.size * network.layers[block.target]!.size, block.mask.live),
    })),
    kernels: plan.kernels.map((kernel) => ({ target: kernel.target, blocks: kernel.blocks })),
    ...(network.pruning.length > 0 ? { pruning: network.pruning } : {}),
    ...(network.learnable ? { learnable: network.learnable } : {}),
    ...(network.growth ? { growth: network.growth } : {}),
    ...(network.execution ? { execution: network.execution } : {}),
  };
}

/** Live connections of a planned network, for the factory's documentation. */
export function liveConnections(plan: KernelPlan): { live: number; total: number } {
  let live = 0;
  let total = 0;
  for (const block of plan.network.blocks) {
    const size = plan.network.layers[block.source]!.size * plan.network.layers[block.target]!.size;
    total += size;
    live += block.mask.kind === "full" ? size : block.mask.live.length;
  }
  return { live, total };
}
