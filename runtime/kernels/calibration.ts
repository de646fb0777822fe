/**
 * Written by `npm run bench kernels` (bench/kernels.ts) on 2026-11-25: the cost in
 * nanoseconds of one forward + backward on WASM, batch 256. A dense kernel costs DENSE_FIXED plus
 * DENSE_PER_ENTRY per rows × cols entry; a sparse kernel SPARSE_PER_EDGE per connection and
 * SPARSE_PER_NEURON per target neuron and per row it takes in from outside every structure (fitted on lone
 * kernels, whose rows all are: see cost-model.ts's KernelShape.externalRows).
 */
export const DENSE_FIXED = 445376.3;
export const DENSE_PER_ENTRY = 72.4;
// Native: NATIVE_DENSE_PER_ENTRY from a run of 2026-12-01 on a machine others were loading (load average 7),
// scaled by that run's native / WASM ratio (47.4 / 182.3), so that both sets share the quiet calibration; on
// 2026-12-02 the fused dense layer measured 18.6 ns an entry (least CPU of 300 forward + backward passes, batch
// 256, load 5: 118 µs at 100 × 10, 657 µs at 300 × 100). NATIVE_DENSE_FIXED was 452,440 ns (the unfused layer:
// three kernels forward, eight back); the fused layer costs 110-127 µs at 16 × 16 and 100 × 10 where a lone
// graph kernel of the same connections costs 84 µs + 0.6 µs a neuron (fit over 16 × 16 … 256 × 256), so a
// dense kernel's fixed cost above a sparse one is 26 µs against a lone graph kernel and up to ~110 µs against
// connections merged into a neighbour's graph kernel (whose fixed cost is then shared). 70 µs is chosen inside
// that range, where the pruned LeNet-300-100's two cases come out as measured: its output layer alone (628 of
// 1,000 live, global pruning) runs dense, 1,196 -> 1,125 µs a step; inside the per-layer graph kernel (50
// live) it stays sparse, as dense it cost 1,304 -> 1,420 µs.
export const NATIVE_DENSE_FIXED = 70000.0;
// Native products against graph.wat (the native graph kernel off) keep the fixed cost of the calibration graph.wat's
// SPARSE_* rates were fitted beside (the 2026-12-01 one above, 452,440 ns): those rates carry graph.wat's share of a
// call's fixed cost per neuron, so the fused layer's 70 µs against them prices every small depth kernel of a graph
// dense (a Watts–Strogatz 3,000 structure planned 140 dense depth kernels, 64 ms a forward pass, against 2.4 ms as
// graph.wat kernels).
export const NATIVE_PRODUCTS_DENSE_FIXED = 452440.0;
export const NATIVE_DENSE_PER_ENTRY = 18.8;
export const SPARSE_PER_EDGE = 125.4;
export const SPARSE_PER_NEURON = 3483.0;
// The native graph kernel (native/graph.c): `npm run bench graph-native` (its second table) times one
// forward + backward of the graph kernel at bench kernels' sizes with native/graph.c and with graph.wat in
// interleaved runs and fits both; the per-edge cost is the WASM constant above scaled by that run's native /
// graph.wat ratio (2026-12-01 21:30 UTC, load average 10: per edge 109.5 / 148.7 ns). The per-neuron cost was
// scaled so too (1959.8 / 3243.9 ns: 2104.2) and is now the 0.6 µs a neuron of the 2026-12-02 fit above: at
// 2,104 ns the per-layer LeNet's dense2 (1,500 live of 30,000) priced sparse only while the dense fixed cost
// stayed above 416 µs. The per-edge cost is now that of the 2026-12-02 05:52 UTC run (load 1.4: 108.8 / 167.7 ns,
// 81.3), after the forward went 64 samples a block and the backward gathered many connections in chunks (92.3 before).
export const NATIVE_SPARSE_PER_EDGE = 81.3;
export const NATIVE_SPARSE_PER_NEURON = 600.0;
