/**
 * Seeded initialisation of a kernel's fused weight.
 *
 * Each target neuron's weights are uniform in ±limit with the fan-in taken as
 * the neuron's live incoming connections over all blocks of its kernel, so
 * sparse neurons are not under-scaled: limit = sqrt(6 / fanIn) for relu and
 * elu (He), sqrt(3 / fanIn) otherwise (LeCun). One draw is taken for every
 * entry, masked or not, in row-major order (masked entries are stored as 0),
 * so a connection's initial weight does not depend on the rest of the mask.
 */
import type { Random } from "./random.js";
import type { ActivationName } from "./spec.js";

/** The bound of the uniform initialisation of a neuron with `fanIn` live inputs (0 if it has none). */
export function initLimit(activation: ActivationName, fanIn: number): number {
  if (fanIn <= 0) return 0;
  const scale = activation === "relu" || activation === "elu" ? 6 : 3;
  return Math.sqrt(scale / fanIn);
}

/** Live incoming connections of each of the `cols` target neurons of a row-major `[rows, cols]` mask. */
export function fanIns(mask: Uint8Array, rows: number, cols: number): Uint32Array {
  const counts = new Uint32Array(cols);
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    for (let c = 0; c < cols; c++) if (mask[offset + c] !== 0) counts[c]!++;
  }
  return counts;
}

/** The initial fused weight of a kernel, row-major `[rows, cols]`, drawing `rows × cols` numbers from `random`. */
export function initialWeights(random: Random, mask: Uint8Array, rows: number, cols: number, activation: ActivationName): Float32Array {
  const fan = fanIns(mask, rows, cols);
  const limits = new Float64Array(cols);
  for (let c = 0; c < cols; c++) limits[c] = initLimit(activation, fan[c]!);
  const weights = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    for (let c = 0; c < cols; c++) {
      const u = random.next();
      if (mask[offset + c] !== 0) {
        const limit = limits[c]!;
        weights[offset + c] = limit * (2 * u - 1);
      }
    }
  }
  return weights;
}
