/**
 * Written by `npm run bench kernels` (bench/kernels.ts) on 2026-11-25: the cost in
 * nanoseconds of one forward + backward on WASM, batch 256. A dense kernel costs DENSE_FIXED plus
 * DENSE_PER_ENTRY per rows × cols entry; a sparse kernel SPARSE_PER_EDGE per connection and
 * SPARSE_PER_NEURON per source or target neuron (its share of a graph kernel).
 */
export const DENSE_FIXED = 445376.3;
export const DENSE_PER_ENTRY = 72.4;
// Native: from a run of 2026-12-01 on a machine others were loading (load average 7), whose absolute
// figures were 2.5-5x the quiet ones above; scaled by that run's own native / WASM ratios (fixed 1.02,
// per entry 47.4 / 182.3), so that both sets share the quiet calibration.
export const NATIVE_DENSE_FIXED = 452440.0;
export const NATIVE_DENSE_PER_ENTRY = 18.8;
export const SPARSE_PER_EDGE = 125.4;
export const SPARSE_PER_NEURON = 3483.0;
// The native graph kernel (native/graph.c): `npm run bench graph-native` (its second table) times one
// forward + backward of the graph kernel at bench kernels' sizes with native/graph.c and with graph.wat in
// interleaved runs and fits both; these are the WASM constants above scaled by that run's native / graph.wat
// ratios (2026-12-01 21:30 UTC, load average 10: per edge 109.5 / 148.7 ns, per neuron 1959.8 / 3243.9 ns).
export const NATIVE_SPARSE_PER_EDGE = 92.3;
export const NATIVE_SPARSE_PER_NEURON = 2104.2;
