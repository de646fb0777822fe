/**
 * The fuse pass's output as the runtime reads it: the network's spec with its
 * kernel plan. The plan is made for the choices the cost model makes where
 * graph kernels run (or those the network's `execution` forces), by the
 * runtime's own planner, so a runtime that makes the same choices runs it
 * as it is.
 */
import { chooseExecution } from "../../runtime/binding/cost-model.js";
import { encodeIntegers, encodeMask, FULL_MASK } from "../../runtime/masks/codec.js";
import { encodePlan, planNetwork } from "../../runtime/plan/index.js";
import type { NetworkSpec } from "../../runtime/spec.js";
import { networkLayout } from "../../runtime/storage/layout.js";
import type { NetworkIR } from "../lower/ir.js";
import type { KernelIR } from "./plan.js";

export function plannedSpec(network: NetworkIR, kernels: readonly KernelIR[]): { spec: NetworkSpec; denseEntries: number } {
  const spec = baseSpec(network, kernels);
  const layouts = networkLayout(spec);
  const kinds = layouts.map((layout) => chooseExecution(spec, layout, spec.execution ?? "auto", { available: true }).kind);
  // A kernel bound dense multiplies a [used rows, cols] matrix, whatever its connections: the runtime allocates that many entries.
  const denseEntries = layouts.reduce((sum, layout, k) => sum + (kinds[k] === "dense" ? layout.usedRows.length * layout.cols : 0), 0);
  const planned = {
    ...spec,
    plan: encodePlan(
      planNetwork(spec, layouts, kinds),
      spec.layers.map((l) => l.size),
    ),
  };
  return { spec: planned, denseEntries };
}

/** The plain-data description of a network that the runtime builds from, without its kernel plan. */
function baseSpec(network: NetworkIR, kernels: readonly KernelIR[]): NetworkSpec {
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
      mask: block.mask.kind === "full" ? FULL_MASK : encodeMask(network.layers[block.source]!.size * network.layers[block.target]!.size, block.mask.live),
    })),
    kernels: kernels.map((kernel) => ({ target: kernel.target, blocks: kernel.blocks })),
    ...(network.pruning.length > 0 ? { pruning: network.pruning } : {}),
    ...(network.learnable ? { learnable: network.learnable } : {}),
    ...(network.growth ? { growth: network.growth } : {}),
    ...(network.execution ? { execution: network.execution } : {}),
    ...(network.features ? { features: network.features } : {}),
    ...(network.cells ? { cells: network.cells } : {}),
    ...(network.recurrent ? { recurrent: network.recurrent } : {}),
  };
}
