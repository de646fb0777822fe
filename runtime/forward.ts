/**
 * One forward pass over a bound network: each step of the execution plan in
 * order, dense kernels as masked products, runs of sparse kernels as graph
 * kernels (the WebAssembly one, or member by member on a GPU backend's). Input checks happen at the Model boundary (model-object.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { activate } from "./activations.js";
import type { Binding, DenseKernel, SparseKernel } from "./binding/bind.js";
import type { GraphStep, InputPlan } from "./binding/execution-plan.js";
import { gatherColumns } from "./kernels/gather-columns.js";
import { graphKernel } from "./kernels/graph/graph-kernel.js";
import { layeredGraphKernel } from "./kernels/gpu/layered-graph.js";
import { maskedDense } from "./kernels/masked-dense.js";
import { nativeDenseActive } from "./kernels/native/index.js";
import { layerNorm } from "./layer-norm.js";
import type { KernelStore } from "./storage/kernel-store.js";
import type { ActivationName } from "./spec.js";

export interface ForwardOptions {
  readonly activation: ActivationName;
  readonly layerSizes: readonly number[];
  /** Give every weight its unmasked gradient (for growing connections where it is largest). */
  readonly denseGradients: boolean;
  /**
   * Layer 0 is computed from trained parameters (feature or recurrent
   * layers), so kernels reading it must pass its gradient on; without this
   * they skip that product, since the raw input needs none.
   */
  readonly inputNeedsGradient: boolean;
}

/**
 * The activations of the layers at `kept` (indices, ascending) for the
 * flattened float32 input `x` [batch, inputs]: hidden layers activated, the
 * output as logits. Runs inside the caller's `tf.tidy`.
 */
export function forwardPass(binding: Binding, x: Tensor2D, kept: readonly number[], options: ForwardOptions): Tensor2D[] {
  const { plan } = binding;
  const batch = x.shape[0];
  const outputIndex = options.layerSizes.length - 1;
  const layerValues = new Array<Tensor2D | undefined>(options.layerSizes.length);
  const graphValues = new Array<Tensor2D | undefined>(plan.steps.length);
  const everyNeuronValues = new Array<Tensor2D | undefined>(plan.steps.length);
  // Graph steps whose value is [neurons, batch], for their one dense reader.
  const neuronMajor = new Set<number>();
  layerValues[0] = x;
  // A hidden layer inside a graph kernel is handed out whole only when asked for.
  const everyNeuron = new Set<number>();
  for (const i of kept) {
    const holder = plan.holders[i]!;
    if (holder.kind === "graph" && i !== outputIndex) everyNeuron.add(holder.graph);
  }
  const assemble = (input: InputPlan): Tensor2D => {
    const parts = input.parts.map((part) => (part.kind === "layer" ? layerValues[part.layer]! : graphValues[part.graph]!));
    const joined = parts.length === 1 ? parts[0]! : tf.concat2d(parts, 1);
    return input.pick ? gatherColumns(joined, input.pick) : joined;
  };
  const finish = (store: KernelStore, pre: Tensor2D, activated = false): void => {
    if (store.hidden && !activated) {
      if (store.gain !== undefined && store.shift !== undefined) pre = layerNorm(pre, store.gain, store.shift);
      pre = activate(options.activation, pre);
    }
    layerValues[store.layout.target] = pre;
  };
  for (const step of plan.steps) {
    if (step.kind === "dense") {
      const kernel = binding.kernels[step.kernel] as DenseKernel;
      // ReLU goes inside the dense kernel where nothing (layer norm) comes between it and the product.
      const relu = kernel.store.hidden && options.activation === "relu" && kernel.store.gain === undefined;
      const [part] = step.input.parts;
      const transposed = step.input.parts.length === 1 && part!.kind === "graph" && neuronMajor.has(part!.graph);
      finish(
        kernel.store,
        denseStep(kernel, () => assemble(step.input), batch, options, { relu, transposed }),
        relu,
      );
      continue;
    }
    const whole = everyNeuron.has(step.index);
    // Handed to its dense reader as the kernel lays it out, where that reader multiplies it transposed (the native products).
    const major = step.neuronMajor && !whole && batch % 16 === 0 && !("product" in step.structure) && nativeDenseActive();
    if (major) neuronMajor.add(step.index);
    const out = graphStep(binding, step, assemble(step.input), { whole, neuronMajor: major }, options);
    // Readers index the usual exports, a prefix of the every-neuron output.
    everyNeuronValues[step.index] = whole ? out : undefined;
    graphValues[step.index] = whole ? tf.slice(out, [0, 0], [batch, step.exports.size]) : out;
    // Without activation inside, the kernel is one layer's pre-activations, in order.
    if (!step.activates) finish(binding.kernels[step.members[0]!]!.store, out);
  }
  const valueOf = (i: number): Tensor2D => {
    const holder = plan.holders[i]!;
    if (holder.kind === "layer") return layerValues[i]!;
    const step = plan.steps.find((s): s is GraphStep => s.kind === "graph" && s.index === holder.graph)!;
    const size = options.layerSizes[i]!;
    // The output layer goes out whole and in order; other layers come from the every-neuron block.
    if (i === outputIndex) {
      // Often the kernel hands out the output layer alone: then it is the kernel's output as it is, no slice (nor its gradient's pad).
      const out = graphValues[holder.graph]!;
      const first = step.columns.get(i)![0]!;
      return first === 0 && out.shape[1] === size ? out : tf.slice(out, [0, first], [batch, size]);
    }
    return tf.slice(everyNeuronValues[holder.graph]!, [0, step.exports.size + step.layerOffsets.get(i)!], [batch, size]);
  };
  return kept.map(valueOf);
}

/** A graph step's output: its usual exports, or with `whole` every neuron after them; with `neuronMajor` as [neurons, batch]. */
function graphStep(binding: Binding, step: GraphStep, input: Tensor2D, how: { whole: boolean; neuronMajor: boolean }, options: ForwardOptions): Tensor2D {
  const members = step.members.map((k) => binding.kernels[k] as SparseKernel);
  const parameters = members.map((k) => ({ weight: k.weight(), bias: k.store.bias, ...(k.pick === undefined ? {} : { pick: k.pick }) }));
  const exports = how.whole ? step.allExports : step.exports;
  const kernelOptions = {
    activation: step.activates ? options.activation : "linear",
    inputNeedsGradient: step.readsHiddenLayers || options.inputNeedsGradient,
    maskWeightGradient: !options.denseGradients,
    neuronMajor: how.neuronMajor,
  } as const;
  const structure = step.structure;
  return "product" in structure
    ? layeredGraphKernel(input, parameters, binding.graphMask(step), structure, exports, kernelOptions)
    : graphKernel(input, parameters, binding.graphMask(step), structure, exports, kernelOptions);
}

/** A dense kernel's pre-activations (with `relu`, its activations): the masked product, or the bias alone for a kernel without connections. */
function denseStep(kernel: DenseKernel, input: () => Tensor2D, batch: number, forward: ForwardOptions, { relu, transposed }: { relu: boolean; transposed: boolean }): Tensor2D {
  const { store } = kernel;
  const weight = kernel.weight();
  const bias = store.bias;
  if (weight === undefined) {
    const constant = tf.add(tf.zeros([batch, store.layout.cols]), bias) as Tensor2D;
    return relu ? tf.relu(constant) : constant;
  }
  const options = {
    inputNeedsGradient: kernel.readsHiddenLayers || forward.inputNeedsGradient,
    denseWeightGradient: forward.denseGradients,
    maskNeedsGradient: store.learnable !== undefined,
    relu,
    inputTransposed: transposed,
  };
  return maskedDense(input(), weight, kernel.mask(), bias, options);
}
