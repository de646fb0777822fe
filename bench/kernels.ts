/**
 * Calibrates the cost model that picks a kernel's execution: times one
 * forward + backward of the masked dense kernel and of the graph kernel (one
 * depth of sparse connections) on WASM, batch 256, at several sizes and
 * densities, fits cost = α·rows·cols (dense) and β·edges + γ·(rows + cols)
 * (sparse: per connection, and per neuron for moving rows in and out) by
 * least squares through the origin, and writes the three to
 * runtime/kernels/calibration.ts.
 */
import { writeFileSync } from "node:fs";
import { maskedDense } from "../runtime/kernels/masked-dense.js";
import { disposeGraphStructure, graphKernel, graphStructure } from "../runtime/kernels/graph/graph-kernel.js";
import { createRandom } from "../runtime/random.js";
import { tf, useBackend } from "../runtime/index.js";
import { medianSeconds, row } from "./timing.js";

const BATCH = 256;

export async function benchKernels(): Promise<string[]> {
  await useBackend("wasm");
  const random = createRandom(1);
  const lines = [row(["rows × cols", "density", "edges", "dense (ms)", "sparse (ms)", "sparse / dense"]), row(["---", "---", "---", "---", "---", "---"])];
  const dense: [number, number][] = [];
  const sparse: [number, number, number][] = [];
  for (const [rows, cols] of [
    [256, 256],
    [1024, 256],
    [1024, 1024],
  ] as const) {
    for (const density of [0.005, 0.02, 0.05, 0.1, 0.3]) {
      const maskValues = Float32Array.from({ length: rows * cols }, () => (random.next() < density ? 1 : 0));
      const sources: number[] = [];
      const targets: number[] = [];
      maskValues.forEach((v, i) => {
        if (v === 1) {
          sources.push(Math.floor(i / cols));
          targets.push(i % cols);
        }
      });
      const x = tf.randomUniform([BATCH, rows], -1, 1, "float32", 2) as tf.Tensor2D;
      const W = tf.randomUniform([rows, cols], -1, 1, "float32", 3) as tf.Tensor2D;
      const M = tf.tensor2d(maskValues, [rows, cols]);
      const b = tf.zeros([cols]) as tf.Tensor1D;
      const w = tf.randomUniform([sources.length], -1, 1, "float32", 4) as tf.Tensor1D;
      const m = tf.ones([sources.length]) as tf.Tensor1D;
      const s = graphStructure({ inputs: rows, activated: 0, members: [{ neurons: cols, sources: Int32Array.from(sources), targets: Int32Array.from(targets) }] });
      const exports = tf.tensor1d(Int32Array.from({ length: cols }, (_, i) => i), "int32");
      const step = (f: (xx: tf.Tensor2D, ww: tf.Tensor) => tf.Tensor2D, weights: tf.Tensor) => (): void => {
        const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(f(xx as tf.Tensor2D, ww)))([x, weights]);
        grads.forEach((g) => g.dataSync());
        tf.dispose(grads);
      };
      const tDense = medianSeconds(step((xx, ww) => maskedDense(xx, ww as tf.Tensor2D, M, b), W), 3);
      const tSparse = medianSeconds(step((xx, ww) => graphKernel(xx, [{ weight: ww as tf.Tensor1D, mask: m, bias: b }], s, exports, { activation: "linear" }), w), 3);
      dense.push([rows * cols, tDense]);
      sparse.push([sources.length, rows + cols, tSparse]);
      lines.push(row([`${rows} × ${cols}`, density, sources.length, tDense * 1000, tSparse * 1000, (tSparse / tDense).toFixed(2)]));
      tf.dispose([x, W, M, b, w, m, exports]);
      disposeGraphStructure(s);
    }
  }
  const slope = (points: readonly [number, number][]): number => points.reduce((n, [a, t]) => n + a * t, 0) / points.reduce((n, [a]) => n + a * a, 0);
  const alpha = slope(dense);
  const [beta, gamma] = twoSlopes(sparse);
  const ns = (seconds: number): string => (seconds * 1e9).toFixed(3);
  writeFileSync(
    new URL("../runtime/kernels/calibration.ts", import.meta.url),
    [
      "/**",
      ` * Written by \`npm run bench kernels\` (bench/kernels.ts) on ${new Date().toISOString().slice(0, 10)}: one forward + backward`,
      ` * on WASM, batch ${BATCH}, in nanoseconds. A dense kernel costs DENSE_PER_ENTRY per rows × cols entry; a`,
      " * graph kernel SPARSE_PER_EDGE per connection and SPARSE_PER_NEURON per source or target neuron.",
      " */",
      `export const DENSE_PER_ENTRY = ${ns(alpha)};`,
      `export const SPARSE_PER_EDGE = ${ns(beta)};`,
      `export const SPARSE_PER_NEURON = ${ns(gamma)};`,
      "",
    ].join("\n"),
  );
  lines.push(
    "",
    `fit: dense ${ns(alpha)} ns per entry; sparse ${ns(beta)} ns per edge + ${ns(gamma)} ns per neuron (written to runtime/kernels/calibration.ts)`,
  );
  return lines;
}

/** Least squares through the origin for t ≈ b·x + c·y: solves the 2 × 2 normal equations. */
function twoSlopes(points: readonly [number, number, number][]): [number, number] {
  let [xx, xy, yy, xt, yt] = [0, 0, 0, 0, 0];
  for (const [x, y, t] of points) {
    xx += x * x;
    xy += x * y;
    yy += y * y;
    xt += x * t;
    yt += y * t;
  }
  const det = xx * yy - xy * xy;
  return [(xt * yy - yt * xy) / det, (yt * xx - xt * xy) / det];
}
