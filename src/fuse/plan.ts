import type { NetworkIR } from "../lower/ir.js";

/** How a kernel multiplies: a dense product with the mask applied to the weight. */
export type Execution = "dense-masked";

/** One kernel per target layer: every block entering it, over its sources concatenated in this order. */
export interface KernelIR {
  readonly target: number;
  readonly blocks: readonly number[];
  readonly execution: Execution;
}

/** What `fuse` hands on to `emit`. */
export interface KernelPlan {
  readonly network: NetworkIR;
  readonly kernels: readonly KernelIR[];
}
