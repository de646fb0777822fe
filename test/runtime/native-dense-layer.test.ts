/**
 * The fused native dense layer's own passes (native/dense.c: the mask
 * multiply, ReLU's gradient, and the product's epilogue of mask and ReLU):
 * the layer gives bit for bit what the native products composed with
 * TensorFlow.js's elementwise kernels give (the passes only moved those
 * kernels, and a product by a 0/1 mask is exact), on one thread and two, WASM
 * and CPU, with the input as given or transposed; the passes treat NaN and −0
 * as TensorFlow.js's Step, Multiply and Relu do; no TensorFlow.js kernel runs
 * inside the layer; a mask of ones is not multiplied at all; and the addon
 * checks its arguments.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import "../../runtime/gradients.js";
import { nativeDenseLayer, useNativeLayerPasses } from "../../runtime/kernels/native/dense-layer.js";
import { denseProduct, nativeThreads, setNativeThreads } from "../../runtime/kernels/native/dense-product.js";
import { nativeStatus, type NativeBlas } from "../../runtime/kernels/native/load.js";
import { createRandom } from "../../runtime/random.js";

const status = nativeStatus();
const blas = status.available ? status.blas : undefined;
const hasPasses = blas?.maskMultiply !== undefined && blas.reluGradient !== undefined;
const random = createRandom(23);
const uniform = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform(-1, 1)),
    shape,
  );

interface Case {
  /** [batch, k], or [k, batch] where transposed. */
  readonly x: tf.Tensor2D;
  readonly w: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
  readonly b: tf.Tensor1D;
  /** The loss Σ out ⊙ dy, so the output's gradient is dy. */
  readonly dy: tf.Tensor2D;
}

/** Large enough that every product and every elementwise pass splits into pieces on two threads. */
function makeCase(transposed: boolean, maskOf: (w: tf.Tensor2D) => tf.Tensor2D): Case {
  const [batch, k, n] = [384, 400, 200];
  const w = uniform([k, n]) as tf.Tensor2D;
  return { x: uniform(transposed ? [k, batch] : [batch, k]) as tf.Tensor2D, w, mask: maskOf(w), b: uniform([n]) as tf.Tensor1D, dy: uniform([batch, n]) as tf.Tensor2D };
}

const pruned = (): tf.Tensor2D => tf.cast(tf.greater(uniform([400, 200]), -0.3), "float32") as tf.Tensor2D;
const unpruned = (): tf.Tensor2D => tf.ones([400, 200]) as tf.Tensor2D;

/** Output and gradients by x, w and b of the fused layer. */
function fused(c: Case, relu: boolean, transposed: boolean): Float32Array[] {
  const layer = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D =>
    nativeDenseLayer(x as tf.Tensor2D, w as tf.Tensor2D, c.mask, b as tf.Tensor1D, { relu, inputTransposed: transposed })!;
  const loss = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer(x, w, b), c.dy));
  return tf.tidy(() => [layer(c.x, c.w, c.b), ...tf.grads(loss)([c.x, c.w, c.b])].map((t) => t.dataSync() as Float32Array));
}

/** The same from the native products (the same sgemm calls) and TensorFlow.js's elementwise kernels, as the layer ran before its passes. */
function composed(c: Case, relu: boolean, transposed: boolean): Float32Array[] {
  return tf.tidy(() => {
    const effective = tf.mul(c.w, c.mask) as tf.Tensor2D;
    const product = denseProduct(c.x, effective, { transposeA: transposed, bias: c.b });
    const y = relu ? (tf.relu(product) as tf.Tensor2D) : product;
    const g = relu ? (tf.mul(c.dy, tf.step(y, 0)) as tf.Tensor2D) : c.dy;
    const db = tf.reshape(denseProduct(tf.ones([1, g.shape[0]]) as tf.Tensor2D, g), [g.shape[1]]);
    const dw = tf.mul(denseProduct(c.x, g, { transposeA: !transposed }), c.mask);
    const dx = transposed ? denseProduct(effective, g, { transposeB: true }) : denseProduct(g, effective, { transposeB: true });
    return [y, dx, dw, db].map((t) => t.dataSync() as Float32Array);
  });
}

/** Entries where the two differ (Object.is: NaN equals NaN, −0 differs from 0), as [index, actual, expected], at most 3. */
function differences(actual: Float32Array, expected: Float32Array): [number, number, number][] {
  expect(actual.length).toBe(expected.length);
  const out: [number, number, number][] = [];
  for (let i = 0; i < actual.length && out.length < 3; i++) if (!Object.is(actual[i], expected[i])) out.push([i, actual[i]!, expected[i]!]);
  return out;
}

describe.skipIf(!hasPasses)("the native dense layer's own passes", () => {
  const threadsBefore = nativeThreads();
  afterEach(() => (setNativeThreads(threadsBefore ?? 1), useNativeLayerPasses(true)));

  for (const backend of ["wasm", "cpu"] as const) {
    for (const threads of [1, 2]) {
      it(`give the composed kernels' output and gradients bit for bit (${backend}, ${threads} thread${threads === 1 ? "" : "s"})`, async () => {
        await useBackend(backend);
        setNativeThreads(threads);
        for (const transposed of [false, true]) {
          for (const [maskName, maskOf] of [
            ["pruned", pruned],
            ["unpruned", unpruned],
          ] as const) {
            const c = makeCase(transposed, maskOf);
            for (const relu of [true, false]) {
              const [got, expected] = [fused(c, relu, transposed), composed(c, relu, transposed)];
              // And the layer as it ran before its passes (as on an addon built without them).
              useNativeLayerPasses(false);
              const before = fused(c, relu, transposed);
              useNativeLayerPasses(true);
              ["y", "dx", "dw", "db"].forEach((name, i) => {
                expect(differences(got[i]!, expected[i]!), `${name}, ${maskName}, relu ${relu}, transposed ${transposed}`).toEqual([]);
                expect(differences(before[i]!, expected[i]!), `before the passes: ${name}, ${maskName}, relu ${relu}, transposed ${transposed}`).toEqual([]);
              });
              // Pruned connections get exactly zero gradient.
              if (maskName === "pruned") expect(Array.from(c.mask.dataSync()).filter((m, i) => m === 0 && got[2]![i] !== 0)).toEqual([]);
            }
            tf.dispose(Object.values(c));
          }
        }
      });
    }
  }

  it("treat NaN, infinities and −0 as TensorFlow.js's Step, Multiply and Relu (CPU backend) do", async () => {
    await useBackend("cpu");
    const special = [NaN, -0, 0, -1, 1, Infinity, -Infinity, 2.5e-38, -3];
    const values = Float32Array.from({ length: 81 }, (_, i) => special[i % 9]!);
    const others = Float32Array.from({ length: 81 }, (_, i) => special[Math.floor(i / 9)]!);
    const [a, b] = [tf.tensor1d(values), tf.tensor1d(others)];
    const out = new Float32Array(81);
    blas!.reluGradient!(81, values, others, out);
    expect(differences(out, tf.mul(a, tf.step(b, 0)).dataSync() as Float32Array)).toEqual([]);
    blas!.maskMultiply!(81, values, others, out);
    expect(differences(out, tf.mul(a, b).dataSync() as Float32Array)).toEqual([]);
    // ReLU as the product's epilogue: the 81 × 1 by 1 × 1 product with 1 is the values themselves.
    blas!.gemm(false, false, 81, 1, 1, values, Float32Array.of(1), out, null, true, null);
    expect(differences(out, tf.relu(a).dataSync() as Float32Array)).toEqual([]);
    tf.dispose([a, b]);
  });

  it("run no TensorFlow.js kernel inside the layer, and multiply no mask of ones", async () => {
    await useBackend("wasm");
    const ran: string[] = [];
    const wrapped = ["Multiply", "Relu", "Step"].map((name) => {
      const kernel = tf.getKernel(name, "wasm")!;
      tf.unregisterKernel(name, "wasm");
      const shapes = (inputs: tf.NamedTensorInfoMap): string =>
        Object.values(inputs)
          .map((t) => `[${t!.shape}]`)
          .join(" ");
      tf.registerKernel({ ...kernel, kernelFunc: (args) => (ran.push(`${name} ${shapes(args.inputs)}`), kernel.kernelFunc(args)) });
      return kernel;
    });
    try {
      for (const [maskOf, outputs] of [
        [pruned, 2],
        [unpruned, 1],
      ] as const) {
        const c = makeCase(false, maskOf);
        const loss = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar =>
          tf.sum(nativeDenseLayer(x as tf.Tensor2D, w as tf.Tensor2D, c.mask, b as tf.Tensor1D, { relu: true })!);
        const profile = await tf.profile(() => tf.dispose(tf.grads(loss)([c.x, c.w, c.b])));
        // The forward kernel hands out w ⊙ mask for the backward pass only where there is one to make.
        const forward = profile.kernels.find((k) => k.name === "DeepstructDenseLayer")!;
        expect(forward.outputShapes).toHaveLength(outputs);
        tf.dispose(Object.values(c));
      }
    } finally {
      for (const kernel of wrapped) (tf.unregisterKernel(kernel.kernelName, "wasm"), tf.registerKernel(kernel));
    }
    // Only the loss's own: the gradient of its sum, dy [1, 1] times ones.
    expect(ran).toEqual(["Multiply [1,1] [384,200]", "Multiply [1,1] [384,200]"]);
  });

  it("reject arrays too short for the count, saying which", () => {
    const b: NativeBlas = blas!;
    expect(() => b.maskMultiply!(10, new Float32Array(10), new Float32Array(9), new Float32Array(10))).toThrow(/maskMultiply of 10 floats got arrays of 10, 9 and 10/);
    expect(() => b.reluGradient!(4, new Float32Array(4), new Float32Array(4), new Float64Array(4) as unknown as Float32Array)).toThrow(/out must be a Float32Array/);
    expect(() => b.maskMultiply!(-1, new Float32Array(1), new Float32Array(1), new Float32Array(1))).toThrow(/count must be a non-negative integer/);
    expect(() => b.gemm(false, false, 2, 2, 1, new Float32Array(2), new Float32Array(2), new Float32Array(4), null, false, new Float32Array(3))).toThrow(
      /gemm's mask needs >= 4 floats \(c's\), got 3/,
    );
    expect(() => b.gemm(false, false, 2, 2, 1, new Float32Array(2), new Float32Array(2), new Float32Array(4), null, 1 as unknown as boolean)).toThrow(/relu must be a boolean/);
  });
});
