/**
 * A graph kernel (a run of sparse depths, see graph/graph-kernel.ts) on a
 * backend where the WebAssembly graph kernel cannot run: its member kernels
 * one after another, each a sparse product over the external input and the
 * members before it, with TensorFlow.js's autodiff over the sequence. The
 * product is the WGSL compute shader on webgpu (sparse-webgpu.ts) and stock
 * ops elsewhere (sparse-ops.ts). Inputs, parameters, mask and exports are
 * those of the graph kernel, so one execution plan serves both.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { activate } from "../../activations.js";
import type { GraphKernelOptions, GraphMember, GraphStructureInput } from "../graph/graph-kernel.js";
import { disposeSparseOpsStructure, sparseDenseOps, sparseOpsStructure, type SparseOpsStructure } from "./sparse-ops.js";
import { disposeSparseStructure, sparseDenseWebGPU, sparseStructureOfEdges, type SparseStructure } from "./sparse-webgpu.js";

/** Which sparse product a layered graph kernel runs: the WGSL shader, or gather / segment-sum ops. */
export type LayeredProduct = "wgsl" | "gather-ops";

interface LayeredMember {
  readonly neurons: number;
  readonly edges: number;
  readonly activated: boolean;
  readonly structure: SparseStructure | SparseOpsStructure;
}

export interface LayeredStructure {
  readonly kind: "layered";
  readonly product: LayeredProduct;
  readonly inputs: number;
  readonly neurons: number;
  readonly members: readonly LayeredMember[];
}

/** The members' structures: member k reads the external inputs and the neurons of members 0 … k − 1, in that column order. */
export function layeredStructure(input: GraphStructureInput, product: LayeredProduct): LayeredStructure {
  const members: LayeredMember[] = [];
  let offset = 0;
  try {
    for (const member of input.members) {
      const targets = member.targets.map((t) => t - offset);
      const width = input.inputs + offset;
      const structure =
        product === "wgsl" ? sparseStructureOfEdges(width, member.neurons, member.sources, targets) : sparseOpsStructure(width, member.neurons, member.sources, targets);
      members.push({ neurons: member.neurons, edges: member.sources.length, activated: offset < input.activated, structure });
      offset += member.neurons;
    }
  } catch (error) {
    disposeLayeredStructure({ kind: "layered", product, inputs: input.inputs, neurons: offset, members });
    throw error;
  }
  return { kind: "layered", product, inputs: input.inputs, neurons: offset, members };
}

export function disposeLayeredStructure(structure: LayeredStructure): void {
  for (const member of structure.members) {
    if ("targetEdge" in member.structure) disposeSparseStructure(member.structure);
    else disposeSparseOpsStructure(member.structure);
  }
}

/** w ⊙ mask whose gradient reaches every weight, switched-off ones too (for growing where it is largest). */
const maskedWithFullGradient = tf.customGrad((w, mask) => ({
  value: tf.mul(w as Tensor, mask as Tensor),
  gradFunc: (dy) => [dy as Tensor, tf.zerosLike(mask as Tensor)],
}));

function product(x: Tensor2D, w: Tensor1D, member: LayeredMember): Tensor2D {
  return "targetEdge" in member.structure ? sparseDenseWebGPU(x, w, member.structure) : sparseDenseOps(x, w, member.structure);
}

/** The graph kernel's result, [batch, exports.length]: the neurons `exports` (kernel-wide indices). */
export function layeredGraphKernel(
  x: Tensor2D,
  members: readonly GraphMember[],
  mask: Tensor1D,
  structure: LayeredStructure,
  exports: Tensor1D,
  options: GraphKernelOptions,
): Tensor2D {
  if (members.length !== structure.members.length) throw new Error(`layered graph kernel: ${members.length} members given, the structure has ${structure.members.length}`);
  if (x.shape[1] !== structure.inputs) throw new Error(`layered graph kernel: input has ${x.shape[1]} columns, the structure reads ${structure.inputs}`);
  const edges = structure.members.reduce((n, m) => n + m.edges, 0);
  if (mask.size !== edges) throw new Error(`layered graph kernel: the mask has ${mask.size} entries, the structure ${edges} connections`);
  return tf.tidy(() => {
    const layers: Tensor2D[] = [];
    let combined = x;
    let edgeOffset = 0;
    structure.members.forEach((member, k) => {
      const w = tf.reshape(members[k]!.weight, [-1]) as Tensor1D;
      const m = tf.slice(mask, [edgeOffset], [member.edges]);
      edgeOffset += member.edges;
      const effective = (options.maskWeightGradient === false ? maskedWithFullGradient(w, m) : tf.mul(w, m)) as Tensor1D;
      const pre = tf.add(product(combined, effective, member), members[k]!.bias) as Tensor2D;
      const values = member.activated ? activate(options.activation, pre) : pre;
      layers.push(values);
      if (k < structure.members.length - 1) combined = tf.concat2d([combined, values], 1);
    });
    const every = layers.length === 1 ? layers[0]! : tf.concat2d(layers, 1);
    return tf.gather(every, exports, 1) as Tensor2D;
  });
}
