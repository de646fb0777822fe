/**
 * The kernel plan written into a spec and read back. What is read is data
 * from outside, so it is checked against the network before it is used.
 */
import { decodeIntegers, encodeIntegers } from "../masks/codec.js";
import type { KernelPlanSpec, PartSpec, StepSpec } from "../spec.js";
import type { Holder, KernelPlanSteps, Neuron, PlannedKernel, StepPlan } from "./steps.js";

function layerStarts(layerSizes: readonly number[]): number[] {
  const starts = [0];
  for (const size of layerSizes) starts.push(starts.at(-1)! + size);
  return starts;
}

const partSpec = (holder: Holder): PartSpec => (holder.kind === "layer" ? `l${holder.layer}` : `g${holder.graph}`);

export function encodePlan(plan: KernelPlanSteps, layerSizes: readonly number[]): KernelPlanSpec {
  const starts = layerStarts(layerSizes);
  const steps = plan.steps.map((step): StepSpec => {
    const input = { parts: step.input.parts.map(partSpec), ...(step.input.pick ? { pick: encodeIntegers(step.input.pick) } : {}) };
    if (step.kind === "dense") return { kind: "dense", kernel: step.kernel, ...input };
    const needs = encodeIntegers(step.needs.map(([layer, neuron]) => starts[layer]! + neuron));
    return { kind: "graph", first: step.members[0]!, count: step.members.length, ...input, needs, exports: encodeIntegers(step.exports) };
  });
  return { kinds: plan.kinds.map((k) => (k === "dense" ? "d" : "s")).join(""), steps };
}

/**
 * The plan a spec carries, checked: every kernel in one step, in order, each
 * part and neuron inside the network.
 * @throws Error naming what does not fit.
 */
export function decodePlan(spec: KernelPlanSpec, kernels: readonly PlannedKernel[], layerSizes: readonly number[], layerNorm: boolean): KernelPlanSteps {
  const kernelCount = kernels.length;
  const fail = (message: string): never => {
    throw new Error(`invalid network spec: plan: ${message}`);
  };
  if (typeof spec.kinds !== "string" || spec.kinds.length !== kernelCount || /[^ds]/.test(spec.kinds)) fail(`'kinds' must give 'd' or 's' for each of the ${kernelCount} kernels`);
  const starts = layerStarts(layerSizes);
  const neuronOf = (index: number): Neuron => {
    const layer = starts.findIndex((start, i) => index >= start && index < starts[i + 1]!);
    if (!Number.isInteger(index) || layer < 0 || layer >= layerSizes.length) fail(`neuron ${index} is outside the network's ${starts.at(-1)} neurons`);
    return [layer, index - starts[layer]!];
  };
  const holders: Holder[] = layerSizes.map((_, layer) => ({ kind: "layer", layer }));
  const exportCounts: number[] = [];
  let next = 0;
  const steps = spec.steps.map((step): StepPlan => {
    const first = step.kind === "dense" ? step.kernel : step.first;
    const count = step.kind === "dense" ? 1 : step.count;
    if (first !== next || !Number.isInteger(count) || count < 1 || first + count > kernelCount) fail(`steps must take the kernels in order; kernel ${next} is next, not ${first}`);
    next += count;
    const members = Array.from({ length: count }, (_, i) => first + i);
    const parts = step.parts.map((part): Holder => (part.startsWith("l") ? { kind: "layer", layer: Number(part.slice(1)) } : { kind: "graph", graph: Number(part.slice(1)) }));
    const widths = parts.map((part) => (part.kind === "layer" ? layerSizes[part.layer] : exportCounts[part.graph]));
    if (widths.some((w) => w === undefined)) fail(`kernel ${first} reads a part that is not computed before it`);
    const width = widths.reduce((a: number, b) => a + b!, 0);
    const pick = step.pick === undefined ? undefined : decodeIntegers(step.pick);
    if (pick?.some((c) => !(c >= 0 && c < width))) fail(`kernel ${first} picks a column outside its ${width} inputs`);
    const inputs = pick?.length ?? width;
    const input = { parts, pick };
    const kernel = kernels[first]!;
    if (step.kind === "dense") {
      if (spec.kinds[first] !== "d" || inputs !== (kernel.usedRows?.length ?? kernel.blocks.reduce((n, b) => n + b.size, 0)))
        fail(`dense kernel ${first} does not read the rows it multiplies`);
      return { kind: "dense", kernel: first, input };
    }
    const needs = decodeIntegers(step.needs).map(neuronOf);
    const exports = decodeIntegers(step.exports);
    const neurons = members.reduce((n, k) => n + kernels[k]!.size, 0);
    if (members.some((k) => spec.kinds[k] !== "s") || needs.length !== inputs || exports.some((e, i) => !(e >= 0 && e < neurons) || (i > 0 && e <= exports[i - 1]!))) {
      fail(`graph kernel of kernels ${first} … ${first + count - 1} does not fit its members`);
    }
    const output = members.findIndex((k) => kernels[k]!.target === layerSizes.length - 1);
    if (output >= 0 && !layerNorm) {
      const start = neurons - kernels[members[output]!]!.size;
      if (exports.filter((e) => e >= start).length !== kernels[members[output]!]!.size) fail(`the graph kernel that computes the output hands out only part of it`);
    }
    if (!layerNorm) for (const k of members) holders[kernels[k]!.target] = { kind: "graph", graph: exportCounts.length };
    exportCounts.push(exports.length);
    return { kind: "graph", index: exportCounts.length - 1, members, input, needs, exports };
  });
  if (next !== kernelCount) fail(`the steps take ${next} of the ${kernelCount} kernels`);
  return { kinds: [...spec.kinds].map((k) => (k === "d" ? "dense" : "sparse")), steps, holders };
}
