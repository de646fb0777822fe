import { createRandom, type Random } from "../../runtime/random.js";
import type { Proportions } from "../check/program.js";

/**
 * Group sizes of a scalable family (deepstruct's ScalableDAN): vertex i gets
 * round(pᵢ × scale) neurons, at least one, where the proportions pᵢ sum to 1:
 * uniform, the given weights normalised, or a Dirichlet(α, …, α) sample drawn
 * with the seed. Returns undefined when explicit weights do not match the
 * vertex count.
 */
export function groupSizes(vertexCount: number, scale: number, proportions: Proportions): Uint32Array | undefined {
  let weights: number[];
  switch (proportions.kind) {
    case "uniform":
      weights = new Array<number>(vertexCount).fill(1);
      break;
    case "explicit":
      if (proportions.values.length !== vertexCount) return undefined;
      weights = [...proportions.values];
      break;
    case "dirichlet": {
      const random = createRandom(proportions.seed);
      weights = Array.from({ length: vertexCount }, () => gamma(random, proportions.alpha));
      break;
    }
  }
  return Uint32Array.from(normalised(weights), (w) => Math.max(1, Math.round(w * scale)));
}

/**
 * Weights divided by their sum, computed after dividing by the largest so
 * that large weights do not overflow the sum. When every weight underflowed
 * to 0 (a Dirichlet sample with a tiny α), the mass goes to the first of
 * them, the limit of such samples.
 */
function normalised(weights: readonly number[]): number[] {
  const largest = weights.reduce((a, b) => Math.max(a, b), 0);
  if (!(largest > 0)) return weights.map((_, i) => (i === 0 ? 1 : 0));
  const scaled = weights.map((w) => w / largest);
  const total = scaled.reduce((a, b) => a + b, 0);
  return scaled.map((w) => w / total);
}

/** A Gamma(α, 1) sample (Marsaglia & Tsang 2000; α < 1 by boosting with U^(1/α)). */
function gamma(random: Random, alpha: number): number {
  if (alpha < 1) return gamma(random, alpha + 1) * Math.pow(1 - random.next(), 1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = random.normal();
    const v = Math.pow(1 + c * x, 3);
    if (v <= 0) continue;
    const u = 1 - random.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
