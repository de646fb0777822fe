/**
 * The native part's one thread pool (native/pool.c): products split into
 * pieces of rows or columns (native/dense.c) equal a double-precision product
 * within float32 rounding for every transpose and a tail piece, and a whole
 * network (dense input projection, graph kernel, dense output) gives the same
 * outputs and gradients on one thread and on two within float32 rounding, and
 * the same bits from run to run on two.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetwork, tf, useBackend } from "../../runtime/index.js";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { createRandom } from "../../runtime/random.js";
import { analyze, networkSpec } from "../../src/index.js";
import { oneHotLabels } from "./labels.js";

const status = nativeStatus();
const blas = status.available ? (status.blas as NativeBlas & Required<Pick<NativeBlas, "gemmPieces">>) : undefined;

/** op(a) · op(b) (+ bias) in double precision, row-major, as gemm's arguments say. */
function reference(ta: boolean, tb: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, bias: Float32Array | null): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = bias === null ? 0 : bias[j]!;
      for (let l = 0; l < k; l++) sum += a[ta ? l * m + i : i * k + l]! * b[tb ? j * k + l : l * n + j]!;
      c[i * n + j] = sum;
    }
  return c;
}

function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

/** The forward pass and one step's gradients of a Watts–Strogatz network big enough that every kernel splits. */
async function networkResults(threads: number): Promise<Float32Array[]> {
  setNativeThreads(threads);
  const { plans } = analyze(`graph g = watts_strogatz(n=3000, k=4, p=0.5, seed=2)\nnetwork N { input 196 structure g output 10 }`);
  const model = await createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 4 });
  const random = createRandom(9);
  const x = tf.tensor2d(
    Float32Array.from({ length: 256 * 196 }, () => random.uniform(0, 1)),
    [256, 196],
  );
  const y = oneHotLabels(256);
  const variables = model.parameters.map((p) => p.variable);
  const out = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor2D) as tf.Scalar, variables);
  const gradients = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
  return [out, ...gradients];
}

describe.runIf(blas?.gemmPieces !== undefined)("the native part's thread pool", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterAll(() => setNativeThreads(1));

  // [m, n, k]: split by rows (m > n), by columns with a tail piece, and one too small to split.
  it.each([
    [301, 70, 129, true],
    [64, 1011, 300, true],
    [40, 40, 40, false],
  ])("splits a %i × %i × %i product over two threads (split: %s) to within float32 rounding of the exact product", (m, n, k, split) => {
    const random = createRandom(m + n);
    const values = (count: number): Float32Array => Float32Array.from({ length: count }, () => random.uniform(-1, 1));
    const [a, b, bias] = [values(m * k), values(k * n), values(n)];
    setNativeThreads(2);
    expect(blas!.gemmPieces(m, n, k) > 1).toBe(split);
    setNativeThreads(1);
    expect(blas!.gemmPieces(m, n, k)).toBe(1);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const exact = reference(ta, tb, m, n, k, a, b, bias);
      const products = [1, 2, 2].map((threads) => {
        setNativeThreads(threads);
        const c = new Float32Array(m * n);
        blas!.gemm(ta, tb, m, n, k, a, b, c, bias);
        return c;
      });
      // k products of values in [-1, 1]: a few ulps of k.
      products.forEach((c) => expect(worstDifference(c, exact)).toBeLessThan(k * 2 ** -22));
      expect(Array.from(products[2]!)).toEqual(Array.from(products[1]!));
    }
  });

  it("gives a network's outputs and gradients on two threads within float32 rounding of one thread's, and the same bits twice", async () => {
    setNativeThreads(2);
    // Every part splits: the input projection, the graph kernel's forward and backward.
    expect(blas!.gemmPieces(256, 196, 1000)).toBeGreaterThan(1);
    const one = await networkResults(1);
    const two = await networkResults(2);
    const again = await networkResults(2);
    expect(two.length).toBe(one.length);
    expect(one.length).toBeGreaterThan(10);
    two.forEach((t, i) => expect(worstDifference(t, one[i]!)).toBeLessThan(1e-5));
    again.forEach((t, i) => expect(Array.from(t)).toEqual(Array.from(two[i]!)));
    expect(one.slice(1).some((g) => g.some((v) => v !== 0))).toBe(true);
  });
});
