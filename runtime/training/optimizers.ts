/**
 * Optimizer configurations, as plain data so the CLI and saved reports can
 * carry them. Masked weights never move under either: the masked kernel's
 * weight gradient is exactly zero at masked entries, and both updates map a
 * zero gradient history to a zero step.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer } from "@tensorflow/tfjs-core";
import { adamOptimizer } from "../kernels/native/index.js";

export type OptimizerConfig =
  | { readonly kind: "adam"; readonly learningRate?: number; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number }
  | { readonly kind: "sgd"; readonly learningRate?: number; readonly momentum?: number; readonly nesterov?: boolean };

export type OptimizerName = OptimizerConfig["kind"];

export const DEFAULT_LEARNING_RATE: Readonly<Record<OptimizerName, number>> = { adam: 0.001, sgd: 0.01 };

export function createOptimizer(config: OptimizerConfig | OptimizerName): Optimizer {
  const c: OptimizerConfig = typeof config === "string" ? { kind: config } : config;
  const learningRate = c.learningRate ?? DEFAULT_LEARNING_RATE[c.kind];
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new Error(`optimizer '${c.kind}': the learning rate must be a positive number, got ${learningRate}`);
  }
  switch (c.kind) {
    case "adam":
      // tf.train.adam's optimizer, in one op per step where the native part runs (kernels/native/fused-adam.ts).
      return adamOptimizer(learningRate, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.epsilon ?? 1e-7);
    case "sgd": {
      const momentum = c.momentum ?? 0.9;
      if (!(momentum >= 0 && momentum < 1)) throw new Error(`optimizer 'sgd': momentum must be in [0, 1), got ${momentum}`);
      return momentum === 0 ? tf.train.sgd(learningRate) : tf.train.momentum(learningRate, momentum, c.nesterov ?? false);
    }
    default:
      throw new Error(`unknown optimizer '${(c as { kind: string }).kind}'; expected "adam" or "sgd"`);
  }
}

/**
 * Frees an optimizer made here. tfjs 4.22's MomentumOptimizer.dispose frees
 * its momentum scalar and accumulators but not the learning-rate scalar `c`
 * of SGDOptimizer, its superclass (which it does not call): that one is
 * freed here.
 */
export function disposeOptimizer(optimizer: Optimizer): void {
  optimizer.dispose();
  const rate = (optimizer as unknown as { c?: unknown }).c;
  if (rate instanceof tf.Tensor && !rate.isDisposed) rate.dispose();
}
