/**
 * Saliencies: how much each connection matters, lowest pruned first. Every
 * function returns, per prunable weight (weights.ts: dense blocks, convs,
 * recurrent weights), one value per entry, row-major in its mask's shape.
 *
 * - magnitude: |w|
 * - random: uniform in [0, 1) from the seed, one draw per entry of every
 *   prunable weight whatever the scope — dense blocks first, in the model's
 *   order (so a block's draws do not depend on the convs or the scope, as the
 *   PyTorch target draws them), then convs and recurrent weights
 * - normalizedMagnitude: |w| / σ, σ the standard deviation of the block's live weights
 * - taylor: |w · ∂L/∂w| (first-order Taylor expansion of the loss), summed over the data's batches
 *   (for taylor, obd and snip, L is the loss `fit` trains: batch norms
 *   normalise by each batch's own statistics, as PyTorch's modules do in
 *   train mode; the running statistics are left as they were. Inference
 *   mode would rank a fresh network's convs by a batch norm that is still
 *   the identity, one that training never runs)
 * - obd: Optimal Brain Damage, ½ · h · w² with the diagonal of the Hessian h
 *   approximated by the empirical Fisher information, the mean over batches of (∂L/∂w)²
 * - snip: |w · ∂L/∂w| on one batch, normalised to sum to 1 (Lee et al. 2019; meant for initialisation)
 * - synflow: |w · ∂R/∂w| with R = 1ᵀ(∏ |W|)1 the output sum of the network's
 *   |θ| version for an all-ones input (Tanaka et al. 2020, one round;
 *   data-free), through dense blocks, convs, cells and recurrent layers:
 *   synflow.ts says how each layer enters it
 */
import * as tf from "@tensorflow/tfjs-core";
import "../gradients.js";
import type { Model } from "../model.js";
import { createRandom } from "../random.js";
import type { TrainingData } from "../training/options.js";
import type { LossName } from "../training/losses.js";
import { synflow } from "./synflow.js";
import { keepingState, prunableWeights, readWeights, weightGradients, type PrunableWeight } from "./weights.js";

export type SaliencyName = "magnitude" | "random" | "normalizedMagnitude" | "taylor" | "obd" | "snip" | "synflow";
export const SALIENCIES: readonly SaliencyName[] = ["magnitude", "random", "normalizedMagnitude", "taylor", "obd", "snip", "synflow"];

export interface SaliencyOptions {
  /** For taylor, obd and snip: samples whose loss gradients are used. */
  readonly data?: TrainingData;
  readonly loss?: LossName;
  /** Batch size for taylor and obd (default 64); snip uses the first batch only. */
  readonly batchSize?: number;
  /** For random. */
  readonly seed?: number;
}

export type Saliencies = Map<string, Float64Array>;

/** The saliency of every weight in `scope` (default: every prunable weight of the model). */
export function computeSaliency(model: Model, name: SaliencyName, options: SaliencyOptions = {}, scope: readonly PrunableWeight[] = prunableWeights(model)): Saliencies {
  const weights = new Map(scope.map((w) => [w.name, readWeights(model, w)]));
  const perBlock = (f: (w: Float32Array, block: string) => Float64Array): Saliencies => new Map([...weights].map(([block, w]) => [block, f(w, block)]));
  switch (name) {
    case "magnitude":
      return perBlock((w) => scaledMagnitude(w, 1));
    case "random":
      return randomSaliency(model, options.seed ?? 0, scope);
    case "normalizedMagnitude":
      return perBlock((w, block) => {
        const mask = model.getMask(block);
        let [count, sum, squares] = [0, 0, 0];
        for (let i = 0; i < w.length; i++) {
          if (mask[i] === 0) continue;
          count++;
          sum += w[i]!;
          squares += w[i]! * w[i]!;
        }
        const mean = sum / Math.max(1, count);
        const sigma = Math.sqrt(Math.max(0, squares / Math.max(1, count) - mean * mean)) || 1;
        return scaledMagnitude(w, 1 / sigma);
      });
    case "taylor":
    case "obd":
    case "snip": {
      const data = options.data;
      if (data === undefined) throw new Error(`${model.name}: saliency '${name}' needs data ({ x, y }) to take gradients on`);
      const batches = gradientBatches(model, data, options.loss ?? "crossEntropy", name === "snip" ? Number.POSITIVE_INFINITY : (options.batchSize ?? 64), name === "snip", scope);
      const result = perBlock((w, block) => {
        const s = new Float64Array(w.length);
        for (const gradients of batches) {
          const g = gradients.get(block)!;
          for (let i = 0; i < w.length; i++) s[i]! += name === "obd" ? 0.5 * g[i]! * g[i]! * w[i]! * w[i]! : Math.abs(w[i]! * g[i]!);
        }
        if (name === "obd") for (let i = 0; i < s.length; i++) s[i]! /= batches.length;
        return s;
      });
      if (name === "snip") {
        const total = [...result.values()].reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0) || 1;
        for (const s of result.values()) for (let i = 0; i < s.length; i++) s[i]! /= total;
      }
      return result;
    }
    case "synflow":
      return synflow(model, weights);
    default:
      throw new Error(`unknown saliency '${String(name)}'; expected one of ${SALIENCIES.join(", ")}`);
  }
}

function randomSaliency(model: Model, seed: number, scope: readonly PrunableWeight[]): Saliencies {
  const random = createRandom(seed);
  const all = prunableWeights(model);
  const draws = new Map<string, Float64Array>();
  for (const w of [...all.filter((w) => w.kind === "dense"), ...all.filter((w) => w.kind !== "dense")]) {
    const s = new Float64Array(w.size);
    for (let i = 0; i < s.length; i++) s[i] = random.next();
    draws.set(w.name, s);
  }
  return new Map(scope.map((w) => [w.name, draws.get(w.name)!]));
}

/**
 * The magnitude saliency as prune() ranks it: |w| in place in the copy
 * readWeights hands out, as 32-bit floats — the same values computeSaliency's
 * 64-bit ones hold (|w| of a float32 is one), without a second array.
 */
export function magnitudes(model: Model, scope: readonly PrunableWeight[]): Map<string, Float32Array> {
  return new Map(
    scope.map((weight) => {
      const w = readWeights(model, weight);
      for (let i = 0; i < w.length; i++) w[i] = Math.abs(w[i]!);
      return [weight.name, w];
    }),
  );
}

/** |w| · factor, by a plain loop: typed-array `from` with a callback costs ~0.3 µs per entry. */
function scaledMagnitude(w: Float32Array, factor: number): Float64Array {
  const s = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) s[i] = Math.abs(w[i]!) * factor;
  return s;
}

/** Per batch, the training-mode loss gradient of every weight in scope (row-major per weight); the running statistics are kept. */
function gradientBatches(
  model: Model,
  data: TrainingData,
  lossName: LossName,
  batchSize: number,
  firstOnly: boolean,
  scope: readonly PrunableWeight[],
): Map<string, Float32Array>[] {
  const samples = data.x.shape[0] ?? 0;
  const batches: Map<string, Float32Array>[] = [];
  keepingState(model, () => {
    for (let start = 0; start < samples; start += batchSize) {
      const size = Math.min(batchSize, samples - start);
      const batch = { x: tf.slice(data.x, start, size), y: tf.slice(data.y, start, size) };
      batches.push(weightGradients(model, batch, lossName, scope, { training: true }));
      tf.dispose([batch.x, batch.y]);
      if (firstOnly) break;
    }
  });
  return batches;
}
