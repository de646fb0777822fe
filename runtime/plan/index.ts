/**
 * The kernel plan of a network, for given choices per kernel: what the
 * compiler's `fuse` pass emits and what the runtime binds (or makes again
 * when its choices differ). One function, so both make the same plan.
 */
import type { KernelLayout } from "../storage/layout.js";
import { layerKind, type NetworkSpec } from "../spec.js";
import { planSteps, type KernelPlanSteps, type PlannedKernel, type PlanOptions } from "./steps.js";

export { decodePlan, encodePlan } from "./encoding.js";
export type { Holder, KernelPlanSteps, PlannedKernel, PlanOptions, StepPlan } from "./steps.js";

/** What the plan sees of each kernel, given whether it runs dense or sparse. */
export function plannedKernels(spec: NetworkSpec, layouts: readonly KernelLayout[], kinds: readonly ("dense" | "sparse")[]): PlannedKernel[] {
  return layouts.map((layout, k) => ({
    target: layout.target,
    size: layout.cols,
    hidden: layerKind(spec.layers[layout.target]!.origin) === "hidden",
    blocks: layout.blocks.map((b) => ({ source: b.source, size: b.sourceSize })),
    ...(kinds[k] === "sparse" ? { edges: layout.edges() } : layout.usedRows.length < layout.rows ? { usedRows: layout.usedRows } : {}),
  }));
}

export function planOptions(spec: NetworkSpec): PlanOptions {
  return { layerSizes: spec.layers.map((l) => l.size), layerNorm: spec.layerNorm };
}

export function planNetwork(spec: NetworkSpec, layouts: readonly KernelLayout[], kinds: readonly ("dense" | "sparse")[]): KernelPlanSteps {
  return planSteps(plannedKernels(spec, layouts, kinds), planOptions(spec));
}
