import type { NetworkIR } from "../lower/ir.js";
import type { KernelIR, KernelPlan } from "./plan.js";
import { plannedSpec } from "./spec.js";
import type { CheckedNetwork } from "../check/program.js";
import { withinLimit, type Limits } from "../check/limits.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { NO_SPAN } from "../diagnostics/span.js";

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
    return { network, kernels, ...plannedSpec(network, kernels) };
  });
}

/**
 * Refuses a plan whose dense kernels would make the runtime allocate more
 * matrix entries than a network may have connections: `execution dense`
 * over a sparse structure binds every kernel as its full [used rows, cols].
 */
export function denseWithinLimits(plans: readonly KernelPlan[], networks: readonly CheckedNetwork[], limits: Limits, bag: DiagnosticBag): boolean {
  let ok = true;
  for (const plan of plans) {
    const span = networks.find((n) => n.name === plan.network.name)?.span ?? NO_SPAN;
    ok = withinLimit(plan.denseEntries, limits.connections, "DS2030", `the dense kernels of network '${plan.network.name}'`, span, bag, "connections") && ok;
  }
  return ok;
}
