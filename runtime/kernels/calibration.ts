/**
 * Written by `npm run bench kernels` (bench/kernels.ts) on 2026-11-25: one forward + backward
 * on WASM, batch 256, in nanoseconds. A dense kernel costs DENSE_PER_ENTRY per rows × cols entry; a
 * graph kernel SPARSE_PER_EDGE per connection and SPARSE_PER_NEURON per source or target neuron.
 */
export const DENSE_PER_ENTRY = 76.562;
export const SPARSE_PER_EDGE = 125.863;
export const SPARSE_PER_NEURON = 3926.377;
