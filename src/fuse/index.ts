import type { NetworkIR } from "../lower/ir.js";
import type { KernelIR, KernelPlan } from "./plan.js";
import { plannedSpec } from "./spec.js";

export type { KernelPlan, KernelIR } from "./plan.js";

/**
 * One kernel per target layer: all blocks entering a layer are multiplied at
 * once over their sources' activations laid side by side. Layers are already
 * in topological order, so kernels in target order can run one after another.
 */
export function fuse(networks: readonly NetworkIR[]): KernelPlan[] {
  return networks.map((network) => {
    const byTarget = new Map<number, number[]>();
    network.blocks.forEach((block, index) => {
      let list = byTarget.get(block.target);
      if (list === undefined) byTarget.set(block.target, (list = []));
      list.push(index);
    });
    const kernels: KernelIR[] = [...byTarget]
      .sort((a, b) => a[0] - b[0])
      .map(([target, blocks]) => ({
        target,
        blocks: blocks.sort((a, b) => network.blocks[a]!.source - network.blocks[b]!.source),
      }));
    return { network, kernels, spec: plannedSpec(network, kernels) };
  });
}
