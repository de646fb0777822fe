import type { NetworkSpec } from "../../runtime/spec.js";
import type { KernelPlan } from "../fuse/plan.js";

/** The plain-data description of a planned network that the runtime builds from (made by `fuse`). */
export function networkSpec(plan: KernelPlan): NetworkSpec {
  return plan.spec;
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
