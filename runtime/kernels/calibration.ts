/**
 * Written by `npm run bench kernels` (bench/kernels.ts) on 2026-11-24: forward + backward on WASM,
 * batch 256. Dense cost ≈ 77.217 ns per rows × cols entry, sparse ≈ 27515.542 ns per edge,
 * so a kernel runs sparse below the density where the two meet.
 */
export const SPARSE_BELOW_DENSITY = 0.00281;
