/**
 * Written by `npm run bench kernels` (bench/kernels.ts) on 2026-11-25: the cost in
 * nanoseconds of one forward + backward on WASM, batch 256. A dense kernel costs DENSE_FIXED plus
 * DENSE_PER_ENTRY per rows × cols entry; a sparse kernel SPARSE_PER_EDGE per connection and
 * SPARSE_PER_NEURON per source or target neuron (its share of a graph kernel).
 */
export const DENSE_FIXED = 445376.3;
export const DENSE_PER_ENTRY = 72.4;
export const NATIVE_DENSE_FIXED = 445376.3;
export const NATIVE_DENSE_PER_ENTRY = 72.4;
export const SPARSE_PER_EDGE = 125.4;
export const SPARSE_PER_NEURON = 3483.0;
