/**
 * The optional native dense products (native/dense.c on OpenBLAS): the same
 * results as TensorFlow.js's kernels within float32 rounding, forward and
 * gradients, on the WASM and CPU backends; checks at the boundary; and a
 * missing or broken addon falls back with one line. Tests that need the
 * addon are skipped where it is not built (`npm run build:native`; CI builds it).
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { sparseIsCheaper } from "../../runtime/binding/cost-model.js";
import { maskedDense } from "../../runtime/kernels/masked-dense.js";
import { denseProduct, nativeDenseActive, nativeThreads, setNativeThreads, useNativeDense } from "../../runtime/kernels/native/dense-product.js";
import { nativeStatus, resetNativeStatus, type NativeBlas } from "../../runtime/kernels/native/load.js";
import { createRandom } from "../../runtime/random.js";

const built = nativeStatus().available;
const random = createRandom(5);
const uniform = (shape: [number, number] | [number]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform(-1, 1)),
    shape,
  );

/** Float32 rounding of a sum of k products of values in [-1, 1]: a few ulps of the terms' magnitude, k of them. */
function expectWithinRounding(actual: tf.Tensor, expected: tf.Tensor, k: number): void {
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  expect(actual.shape).toEqual(expected.shape);
  let worst = 0;
  a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - e[i]!))));
  expect(worst).toBeLessThan(k * 2 ** -22);
}

/** Forward and every gradient of the masked dense kernel, with the native products on or off. */
function kernelResults(native: boolean, x: tf.Tensor2D, w: tf.Tensor2D, mask: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor[] {
  useNativeDense(native);
  try {
    const weights = tf.div(tf.reshape(tf.range(1, x.shape[0] * w.shape[1] + 1), [x.shape[0], w.shape[1]]), 100);
    const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(maskedDense(xx as tf.Tensor2D, ww as tf.Tensor2D, mask, bb as tf.Tensor1D), weights));
    return [maskedDense(x, w, mask, b), ...tf.grads(loss)([x, w, b])];
  } finally {
    useNativeDense(true);
  }
}

describe.skipIf(!built)("native dense products", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    it(`give the masked dense kernel's forward and gradients within float32 rounding of TensorFlow.js's (${backend})`, async () => {
      await useBackend(backend);
      expect(nativeDenseActive()).toBe(true);
      const [batch, rows, cols] = [67, 301, 45];
      const x = uniform([batch, rows]) as tf.Tensor2D;
      const w = uniform([rows, cols]) as tf.Tensor2D;
      const b = uniform([cols]) as tf.Tensor1D;
      const mask = tf.cast(tf.greater(uniform([rows, cols]), 0), "float32") as tf.Tensor2D;
      const native = kernelResults(true, x, w, mask, b);
      const stock = kernelResults(false, x, w, mask, b);
      // Forward sums over rows; dx over cols; dw over the batch (the loss weights reach 30).
      [rows, 30 * cols, 30 * batch, 30 * batch].forEach((k, i) => expectWithinRounding(native[i]!, stock[i]!, k));
      // Not the same code: somewhere the two orders of summation round differently.
      expect(native.some((t, i) => tf.max(tf.abs(tf.sub(t, stock[i]!))).dataSync()[0]! > 0)).toBe(true);
      tf.dispose([x, w, b, mask, ...native, ...stock]);
    });
  }

  it("transposes either operand as TensorFlow.js's matMul does, and adds the bias to every row", async () => {
    await useBackend("wasm");
    const a = uniform([9, 5]) as tf.Tensor2D;
    const b = uniform([9, 7]) as tf.Tensor2D;
    const bias = uniform([7]) as tf.Tensor1D;
    expectWithinRounding(denseProduct(a, b, { transposeA: true, bias }), tf.add(tf.matMul(a, b, true, false), bias), 9);
    expectWithinRounding(denseProduct(b, a, { transposeA: true, transposeB: false }), tf.matMul(b, a, true, false), 9);
    const c = uniform([4, 5]) as tf.Tensor2D;
    expectWithinRounding(denseProduct(a, c, { transposeB: true }), tf.matMul(a, c, false, true), 5);
  });

  it("reject shapes that do not fit, saying which", async () => {
    await useBackend("wasm");
    expect(() => denseProduct(uniform([3, 4]) as tf.Tensor2D, uniform([5, 2]) as tf.Tensor2D)).toThrow(/\[3,4\] · \[5,2\]: inner sizes 4 and 5 differ/);
    expect(() => denseProduct(uniform([3, 4]) as tf.Tensor2D, uniform([4, 2]) as tf.Tensor2D, { bias: uniform([3]) as tf.Tensor1D })).toThrow(/bias of shape \[3\] for 2 columns/);
    const blas = (nativeStatus() as { blas: NativeBlas }).blas;
    expect(() => blas.gemm(false, false, 2, 2, 3, new Float32Array(5), new Float32Array(6), new Float32Array(4), null)).toThrow(/needs a >= 6/);
    expect(() => blas.gemm(false, false, 2, 2, 3, new Float32Array(6), new Float64Array(6) as unknown as Float32Array, new Float32Array(4), null)).toThrow(
      /b must be a Float32Array/,
    );
    expect(() => setNativeThreads(0)).toThrow(RangeError);
  });

  it("run on one thread or on every core with the same results", async () => {
    await useBackend("wasm");
    const a = uniform([256, 512]) as tf.Tensor2D;
    const b = uniform([512, 384]) as tf.Tensor2D;
    const before = nativeThreads()!;
    setNativeThreads(1);
    expect(nativeThreads()).toBe(1);
    const one = denseProduct(a, b);
    setNativeThreads(2);
    expect(nativeThreads()).toBe(2);
    expectWithinRounding(denseProduct(a, b), one, 512);
    setNativeThreads(before);
  });
});

describe("the cost model", () => {
  it("prices dense kernels on native products below WASM ones, and plans with WASM prices by default", () => {
    // 256 × 256 with 20,000 connections (31%): sparse beats WASM's dense products, not the native ones (at 15% it
    // beats both since the fused native dense layer's fixed cost was recalibrated, calibration.ts).
    const shape = { denseLayer: false, rows: 256, cols: 256, edges: 20_000 };
    expect(sparseIsCheaper(shape)).toBe(true);
    expect(sparseIsCheaper(shape, "wasm")).toBe(true);
    expect(sparseIsCheaper(shape, "native")).toBe(false);
    expect(sparseIsCheaper({ denseLayer: false, rows: 1024, cols: 1024, edges: 2000 }, "native")).toBe(true);
  });
});

describe("without the native part", () => {
  const saved = { path: process.env.DEEPSTRUCT_NATIVE_PATH, off: process.env.DEEPSTRUCT_NATIVE };
  afterEach(() => {
    for (const [name, value] of [
      ["DEEPSTRUCT_NATIVE_PATH", saved.path],
      ["DEEPSTRUCT_NATIVE", saved.off],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetNativeStatus();
    vi.restoreAllMocks();
  });

  async function productWithAddonAt(path: string): Promise<{ warnings: string[]; result: Float32Array }> {
    process.env.DEEPSTRUCT_NATIVE_PATH = path;
    resetNativeStatus();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await useBackend("wasm");
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const first = denseProduct(a, a, { transposeB: true }).dataSync() as Float32Array;
    denseProduct(a, a).dataSync();
    return { warnings: warn.mock.calls.map((c) => String(c[0])), result: first };
  }

  it("falls back to TensorFlow.js with one line when the addon is missing", async () => {
    const { warnings, result } = await productWithAddonAt("/nonexistent/deepstruct_native.node");
    expect(Array.from(result)).toEqual([5, 11, 11, 25]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^deepstruct: native dense products off \(the addon is not built \(no \/nonexistent\/deepstruct_native\.node; npm run build:native builds it\)\); using TensorFlow\.js's kernels$/,
    );
    expect(nativeDenseActive()).toBe(false);
  });

  it("falls back with one line when the addon is broken", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const path = join(mkdtempSync(join(tmpdir(), "dsc-native-")), "deepstruct_native.node");
    writeFileSync(path, "not a shared library");
    const { warnings, result } = await productWithAddonAt(path);
    expect(Array.from(result)).toEqual([5, 11, 11, 25]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not be loaded: .*; using TensorFlow\.js's kernels$/);
    expect(warnings[0]).not.toContain("\n");
  });

  it("is silent when turned off with DEEPSTRUCT_NATIVE=0", async () => {
    process.env.DEEPSTRUCT_NATIVE = "0";
    resetNativeStatus();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(nativeStatus()).toEqual({ available: false, reason: "turned off by DEEPSTRUCT_NATIVE=0" });
    expect(warn).not.toHaveBeenCalled();
  });
});
