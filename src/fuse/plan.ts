import type { KernelSpec, NetworkSpec } from "../../runtime/spec.js";
import type { NetworkIR } from "../lower/ir.js";

/**
 * One kernel per target layer: every block entering it, over its sources
 * concatenated in this order. It is the runtime's `KernelSpec`, declared once
 * there: the compiler's kernels are what the spec carries.
 */
export type KernelIR = KernelSpec;

/** What `fuse` hands on to `emit`. */
export interface KernelPlan {
  readonly network: NetworkIR;
  readonly kernels: readonly KernelIR[];
  /** The network as the runtime reads it, with its kernel plan: how kernels run, which form graph kernels, what each reads. */
  readonly spec: NetworkSpec;
  /** Entries of the matrices the kernels planned dense multiply (each a [used rows, cols] weight and mask in the runtime). */
  readonly denseEntries: number;
}
