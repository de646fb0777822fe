/**
 * Calibrates the cost model that picks a kernel's execution: times one
 * forward + backward of the masked dense kernel and of the graph kernel (one
 * depth of sparse connections) on WASM, batch 256, at several sizes and
 * densities, and fits by least squares
 *
 *   dense ≈ δ + α·rows·cols       (δ: the fixed cost of its ops)
 *   sparse ≈ ε + β·edges + γ·(rows + cols)
 *
 * (γ: moving a neuron's values in or out). It writes δ, α, β and γ into
 * runtime/kernels/calibration.ts where they stand; ε is not used, because
 * consecutive sparse kernels share one graph kernel and its fixed cost.
 * Where the native part is built, the dense kernel is timed twice, on its
 * native products and on TensorFlow.js's; the native fit is printed, not
 * written: the native constants come from runs their comments name.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { writeFileAtomically } from "../runtime/file-io.js";
import { maskedDense } from "../runtime/kernels/masked-dense.js";
import { disposeGraphStructure, graphKernel, graphStructure } from "../runtime/kernels/graph/graph-kernel.js";
import { createRandom } from "../runtime/random.js";
import { tf, useBackend } from "../runtime/index.js";
import { nativeDenseActive, useNativeDense, useNativeGraph } from "../runtime/kernels/native/index.js";
import { medianSeconds, row } from "./timing.js";

const BATCH = 256;

const CALIBRATION = fileURLToPath(new URL("../runtime/kernels/calibration.ts", import.meta.url));

/**
 * The fitted WASM constants replaced in calibration.ts where they stand, and its first line's date: the native
 * constants beside them (NATIVE_*, from bench graph-native and the runs their comments name) and every comment stay,
 * and the file is written whole or not at all.
 */
export async function writeCalibration(values: Readonly<Record<string, string>>, path = CALIBRATION): Promise<void> {
  let text = await readFile(path, "utf8");
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^export const ${name} = [^;]*;$`, "m");
    if (!line.test(text)) throw new Error(`${path}: no line 'export const ${name} = …;' to write the fit into`);
    text = text.replace(line, `export const ${name} = ${value};`);
  }
  text = text.replace(/(\(bench\/kernels\.ts\) on )\d{4}-\d{2}-\d{2}/, `$1${new Date().toISOString().slice(0, 10)}`);
  await writeFileAtomically(path, text);
}

export async function benchKernels(): Promise<string[]> {
  await useBackend("wasm");
  const random = createRandom(1);
  const native = nativeDenseActive();
  const lines = [
    row(["rows × cols", "density", "edges", "dense, native (ms)", "dense, WASM (ms)", "sparse (ms)", "sparse / dense (as run)"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
  ];
  const dense: number[][] = [];
  const denseWasm: number[][] = [];
  const sparse: number[][] = [];
  for (const [rows, cols] of [
    [32, 32],
    [128, 64],
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
      const exports = tf.tensor1d(
        Int32Array.from({ length: cols }, (_, i) => i),
        "int32",
      );
      const step = (f: (xx: tf.Tensor2D, ww: tf.Tensor) => tf.Tensor2D, weights: tf.Tensor) => (): void => {
        const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(f(xx as tf.Tensor2D, ww)))([x, weights]);
        grads.forEach((g) => g.dataSync());
        tf.dispose(grads);
      };
      const denseStep = step((xx, ww) => maskedDense(xx, ww as tf.Tensor2D, M, b), W);
      const tDense = medianSeconds(denseStep, 3);
      useNativeDense(false);
      const tDenseWasm = native ? medianSeconds(denseStep, 3) : tDense;
      useNativeDense(true);
      // graph.wat, whose rates the SPARSE_* constants are: with the native part on, the graph kernel runs native/graph.c.
      useNativeGraph(false);
      const tSparse = medianSeconds(
        step((xx, ww) => graphKernel(xx, [{ weight: ww as tf.Tensor1D, bias: b }], m, s, exports, { activation: "linear" }), w),
        3,
      );
      useNativeGraph(true);
      dense.push([1, rows * cols, tDense]);
      denseWasm.push([1, rows * cols, tDenseWasm]);
      sparse.push([1, sources.length, rows + cols, tSparse]);
      lines.push(row([`${rows} × ${cols}`, density, sources.length, native ? tDense * 1000 : "—", tDenseWasm * 1000, tSparse * 1000, (tSparse / tDense).toFixed(2)]));
      tf.dispose([x, W, M, b, w, m, exports]);
      disposeGraphStructure(s);
    }
  }
  const [delta, alpha] = leastSquares(denseWasm) as [number, number];
  const [nativeDelta, nativeAlpha] = native ? (leastSquares(dense) as [number, number]) : [delta, alpha];
  const [epsilon, beta, gamma] = leastSquares(sparse) as [number, number, number];
  const ns = (seconds: number): string => (seconds * 1e9).toFixed(1);
  await writeCalibration({ DENSE_FIXED: ns(delta), DENSE_PER_ENTRY: ns(alpha), SPARSE_PER_EDGE: ns(beta), SPARSE_PER_NEURON: ns(gamma) });
  lines.push(
    "",
    `fit: dense ${ns(delta)} ns + ${ns(alpha)} ns per entry (native: ${ns(nativeDelta)} ns + ${ns(nativeAlpha)} ns per entry); sparse ${ns(epsilon)} ns + ${ns(beta)} ns per edge + ${ns(gamma)} ns per neuron (the WASM fit written to runtime/kernels/calibration.ts but for the sparse fixed cost; the native constants there are left as they are)`,
  );
  return lines;
}

/** Least squares: coefficients c minimising Σ (Σ_j c_j x_j − t)² over rows [x_1, …, x_k, t], by the normal equations. */
export function leastSquares(points: readonly number[][]): number[] {
  const k = points[0]!.length - 1;
  // Augmented normal equations [XᵀX | Xᵀt], solved by Gaussian elimination with partial pivoting.
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k + 1 }, (_, j) => points.reduce((sum, p) => sum + p[i]! * p[j]!, 0)));
  for (let col = 0; col < k; col++) {
    const pivot = a.reduce((best, r, i) => (i >= col && Math.abs(r[col]!) > Math.abs(a[best]![col]!) ? i : best), col);
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let j = col; j <= k; j++) a[r]![j]! -= f * a[col]![j]!;
    }
  }
  return a.map((r, i) => r[k]! / r[i]!);
}
