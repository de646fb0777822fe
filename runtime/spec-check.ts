/**
 * The runtime's check of a spec at its boundary: a spec is data (emitted by
 * the compiler, or read back from a file), so its structure is checked before
 * anything is built from it.
 */
import { isActivation } from "./activations.js";
import { expectedInputSize } from "./features/spec-check.js";
import { expectedRecurrentInputSize } from "./recurrent/spec-check.js";
import { layerKind, type LayerOrigin, type NetworkSpec } from "./spec.js";

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

function isOrigin(origin: unknown): origin is LayerOrigin {
  const kind = (origin as { kind?: unknown } | null)?.kind;
  return kind === "input" || kind === "output" || kind === "dense" || kind === "structure";
}

/** Checks the structure of a spec; throws an Error naming the network and the problem. */
export function validateSpec(spec: NetworkSpec): void {
  const given = spec as unknown;
  if (
    given === null ||
    typeof given !== "object" ||
    typeof spec.name !== "string" ||
    !Array.isArray(spec.layers) ||
    !Array.isArray(spec.blocks) ||
    !Array.isArray(spec.kernels) ||
    !Array.isArray(spec.inputShape)
  ) {
    throw new Error(
      `createNetwork: expected a network spec (an object with name, inputShape, layers, blocks and kernels, as a generated module exports), got ${given === null ? "null" : typeof given}`,
    );
  }
  const fail: (message: string) => never = (message) => {
    throw new Error(`${spec.name}: invalid network spec: ${message}`);
  };
  if (!isActivation(spec.activation)) fail(`unknown activation '${String(spec.activation)}'`);
  if (spec.inputShape.length === 0 || spec.inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    fail(`input shape ${shapeText(spec.inputShape)} must be a non-empty list of positive integers`);
  }
  const { layers, blocks, kernels } = spec;
  if (layers.length < 2) fail(`needs at least an input and an output layer, got ${layers.length} layer(s)`);
  const layerNames = new Set<string>();
  layers.forEach((layer, i) => {
    if (layerNames.has(layer.name)) fail(`layer name '${layer.name}' is used twice`);
    layerNames.add(layer.name);
    if (!Number.isInteger(layer.size) || layer.size <= 0) fail(`layer '${layer.name}' has size ${layer.size}`);
    const expected = i === 0 ? "input" : i === layers.length - 1 ? "output" : "hidden";
    const kind = isOrigin(layer.origin) ? layerKind(layer.origin) : undefined;
    if (kind === undefined) fail(`layer ${i} ('${layer.name}') has no valid origin`);
    if (kind !== expected) fail(`layer ${i} ('${layer.name}') is '${kind}' but must be '${expected}'`);
  });
  const input = layers[0]!;
  const inputSize = spec.recurrent === undefined ? expectedInputSize(spec, fail) : expectedRecurrentInputSize(spec, fail);
  if (input.size !== inputSize) {
    const made = spec.recurrent === undefined ? "the feature layers put out" : "the recurrent layers put out";
    const what = spec.features === undefined && spec.recurrent === undefined ? `the input shape ${shapeText(spec.inputShape)} has` : made;
    fail(`input layer '${input.name}' has ${input.size} neurons but ${what} ${inputSize}`);
  }
  const blockNames = new Set<string>();
  blocks.forEach((block, i) => {
    if (blockNames.has(block.name)) fail(`block name '${block.name}' is used twice`);
    blockNames.add(block.name);
    const inRange = (index: number): boolean => Number.isInteger(index) && index >= 0 && index < layers.length;
    if (!inRange(block.source)) fail(`block ${i} ('${block.name}') has source layer index ${block.source}`);
    if (!inRange(block.target) || block.target === 0) fail(`block ${i} ('${block.name}') has target layer index ${block.target}`);
  });
  const computed = new Array<boolean>(layers.length).fill(false);
  computed[0] = true;
  const kernelOfBlock = new Array<number | undefined>(blocks.length).fill(undefined);
  kernels.forEach((kernel, k) => {
    const target = layers[kernel.target];
    if (target === undefined || kernel.target === 0) fail(`kernel ${k} has target layer index ${kernel.target}`);
    if (computed[kernel.target]) fail(`layer '${target!.name}' is the target of more than one kernel`);
    for (const b of kernel.blocks) {
      const block = blocks[b];
      if (block === undefined) return fail(`kernel ${k} refers to block index ${b}, but there are ${blocks.length} blocks`);
      if (kernelOfBlock[b] !== undefined) fail(`block '${block.name}' belongs to kernels ${kernelOfBlock[b]} and ${k}`);
      kernelOfBlock[b] = k;
      if (block.target !== kernel.target) fail(`block '${block.name}' targets layer '${layers[block.target]!.name}' but is in the kernel of '${target!.name}'`);
      if (!computed[block.source]) fail(`kernel ${k} ('${target!.name}') reads layer '${layers[block.source]!.name}' before it is computed`);
    }
    computed[kernel.target] = true;
  });
  blocks.forEach((block, b) => {
    if (kernelOfBlock[b] === undefined) fail(`block '${block.name}' is in no kernel`);
  });
  layers.forEach((layer, i) => {
    if (!computed[i]) fail(`layer '${layer.name}' is computed by no kernel`);
  });
}
