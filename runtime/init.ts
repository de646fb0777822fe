/**
 * Seeded initialisation of a kernel's weights.
 *
 * Each target neuron's weights are uniform in ±limit with the fan-in taken as
 * the neuron's live incoming connections over all blocks of its kernel, so
 * sparse neurons are not under-scaled: limit = sqrt(6 / fanIn) for relu and
 * elu (He), sqrt(3 / fanIn) otherwise (LeCun). The uniform draw of a
 * connection is a hash of (seed, kernel, row, column), not the next number of
 * a stream: a connection's initial weight depends on nothing else, so a
 * kernel stored dense and the same kernel stored as a list of connections
 * start identical, and a sparse kernel draws only for its connections.
 */
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

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The uniform draw in [0, 1) of entry (row, col) of kernel `kernel` under `seed`. */
export function entryDraw(seed: number, kernel: number, row: number, col: number): number {
  let h = mix((Math.floor(seed) >>> 0) ^ 0x9e3779b9);
  h = mix(h ^ Math.imul(kernel + 1, 0x27d4eb2f));
  h = mix(h ^ Math.imul(row + 1, 0x165667b1));
  h = mix(h ^ Math.imul(col + 1, 0x85ebca77));
  return h / 4294967296;
}

/** The initial weight of kernel `kernel` as a row-major `[rows, cols]` array (0 where the mask is 0). */
export function initialWeights(seed: number, kernel: number, mask: Uint8Array, rows: number, cols: number, activation: ActivationName): Float32Array {
  const limits = Float64Array.from(fanIns(mask, rows, cols), (fan) => initLimit(activation, fan));
  const weights = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (mask[r * cols + c] !== 0) weights[r * cols + c] = limits[c]! * (2 * entryDraw(seed, kernel, r, c) - 1);
    }
  }
  return weights;
}

/** The initial weights of a kernel's connections (fused row and target column each), the values `initialWeights` gives them. */
export function initialEdgeWeights(seed: number, kernel: number, rows: Int32Array, targets: Int32Array, cols: number, activation: ActivationName): Float32Array {
  const fan = new Uint32Array(cols);
  for (const t of targets) fan[t]!++;
  const limits = Float64Array.from(fan, (f) => initLimit(activation, f));
  return Float32Array.from(targets, (t, e) => limits[t]! * (2 * entryDraw(seed, kernel, rows[e]!, t) - 1));
}
