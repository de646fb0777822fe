/**
 * Order 1 for convs by name: a whole output channel (its filter) or one
 * input × output kernel pruned as a unit — `prune` with `unit: "channel"` or
 * `"kernel"` over convs (units.ts ranks and zeroes the units). Entries are
 * HWIO row-major: ((row · cols + col) · in + i) · out + o. A channel with no
 * live weight is not computed (features/pruned-maps.ts).
 */
import type { Model } from "../model.js";
import { prune, scopeOf, type PruneAmount, type PruneResult } from "./prune.js";
import type { SaliencyName, SaliencyOptions } from "./saliency.js";
import { zeroUnits } from "./units.js";
import { prunableWeights, type PrunableWeight } from "./weights.js";

export type ConvUnit = "channel" | "kernel";

export interface ConvUnitOptions extends SaliencyOptions {
  readonly unit: ConvUnit;
  /** A percentage of the live units in scope, or an exact count of them. */
  readonly amount: Exclude<PruneAmount, { budget: number } | { sparsity: number }>;
  readonly saliency?: SaliencyName;
  /** `global` (default): one ranking over the units of every conv in scope; `layer`: each conv's on its own. */
  readonly scope?: "global" | "layer";
  /** Convs that may be pruned (default: all). */
  readonly convs?: readonly string[];
}

function convsOf(model: Model, names: readonly string[] | undefined, where: string): PrunableWeight[] {
  const scope = scopeOf(model, names ?? prunableWeights(model).flatMap((w) => (w.kind === "conv" ? [w.name] : [])), where);
  const other = scope.find((w) => w.kind !== "conv");
  if (other !== undefined) throw new Error(`${where}: '${other.name}' is not a conv; channels and kernels are units of convs only`);
  return scope;
}

/**
 * Prunes the lowest-saliency live units; ties by position (earlier conv,
 * then lower unit number: output channel, or input · outputs + output).
 * @throws Error for a name that is not a conv, a bad amount or unit.
 */
export function pruneConvUnits(model: Model, options: ConvUnitOptions): PruneResult {
  const where = `${model.name}.pruneConvUnits`;
  if (options.unit !== "channel" && options.unit !== "kernel") throw new Error(`${where}: unit must be 'channel' or 'kernel', got ${String(options.unit)}`);
  const amount = options.amount as { percent?: number; count?: number };
  if (!(amount.percent === undefined ? Number.isInteger(amount.count) && amount.count! >= 0 : amount.percent >= 0 && amount.percent <= 100)) {
    throw new Error(`${where}: amount must be { percent } in [0, 100] or a non-negative integer { count }, got ${JSON.stringify(options.amount)}`);
  }
  const convs = convsOf(model, options.convs, where).map((w) => w.name);
  const { convs: _, ...rest } = options;
  return prune(model, { ...rest, blocks: convs });
}

/** Order 1 by hand: prunes output channels of a conv (their whole filters). */
export function pruneChannels(model: Model, conv: string, channels: readonly number[]): void {
  const [weight] = convsOf(model, [conv], `${model.name}.pruneChannels`);
  const outputs = weight!.shape[3]!;
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 0 || c >= outputs) throw new Error(`${model.name}.pruneChannels: conv '${conv}' has output channels 0 … ${outputs - 1}, not ${c}`);
  }
  zeroUnits(model, weight!, "channel", new Set(channels));
}
