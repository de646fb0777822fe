import type { KernelSpec } from "../../runtime/spec.js";
import type { NetworkIR } from "../lower/ir.js";

/**
 * One kernel per target layer: every block entering it, over its sources
 * concatenated in this order. It is the runtime's `KernelSpec`, declared once
 * there: the compiler's kernels are what the spec carries. How a kernel runs
 * (dense or sparse, and which sparse kernels share one graph kernel) is
 * decided by the runtime when it builds the network, from the machine's
 * calibration and the factory's options.
 */
export type KernelIR = KernelSpec;

/** What `fuse` hands on to `emit`. */
export interface KernelPlan {
  readonly network: NetworkIR;
  readonly kernels: readonly KernelIR[];
}
