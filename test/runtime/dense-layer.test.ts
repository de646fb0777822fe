/**
 * The masked dense layer as one kernel each way on the native products
 * (runtime/kernels/native/dense-layer.ts): its output and its gradients by
 * the input, weight and bias equal the stock ops' (relu(x · (w ⊙ mask) + b),
 * TensorFlow.js's own gradients) within float32 rounding, with and without
 * ReLU, on WASM and CPU; the same call with the native part off (what
 * DEEPSTRUCT_NATIVE=0 gives) composes ops and agrees too; pruned
 * connections get exactly zero gradient; the fused kernels are what run, and
 * the backward pass takes the masked weight from the forward pass.
 */
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { maskedDense } from "../../runtime/kernels/masked-dense.js";
import { nativeDenseLayer } from "../../runtime/kernels/native/dense-layer.js";
import { useNativeDense } from "../../runtime/kernels/native/dense-product.js";
import { nativeStatus } from "../../runtime/kernels/native/load.js";
import { createRandom } from "../../runtime/random.js";

const built = nativeStatus().available;
const random = createRandom(11);
const uniform = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform(-1, 1)),
    shape,
  );

/** The largest |a − e| over all entries. */
const worst = (actual: tf.Tensor, expected: tf.Tensor): number => {
  expect(actual.shape).toEqual(expected.shape);
  const [a, e] = [Array.from(actual.dataSync()), expected.dataSync()];
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]!)), 0);
};

interface Case {
  readonly x: tf.Tensor2D;
  readonly w: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
  readonly b: tf.Tensor1D;
  /** Weights of the scalar loss Σ out · weights, so every output entry has its own gradient. */
  readonly weights: tf.Tensor2D;
}

function makeCase(batch: number, rows: number, cols: number): Case {
  return {
    x: uniform([batch, rows]) as tf.Tensor2D,
    w: uniform([rows, cols]) as tf.Tensor2D,
    mask: tf.cast(tf.greater(uniform([rows, cols]), -0.2), "float32") as tf.Tensor2D,
    b: uniform([cols]) as tf.Tensor1D,
    weights: uniform([batch, cols]) as tf.Tensor2D,
  };
}

type Layer = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** Output and gradients by x, w and b of Σ layer(x, w, b) · weights. */
function results(c: Case, layer: Layer): tf.Tensor[] {
  const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), c.weights));
  return [layer(c.x, c.w, c.b), ...tf.grads(loss)([c.x, c.w, c.b])];
}

/** The stock ops with TensorFlow.js's own gradients. */
const reference =
  (mask: tf.Tensor2D | undefined, relu: boolean): Layer =>
  (x, w, b) => {
    const product = tf.add(tf.matMul(x, mask === undefined ? w : tf.mul(w, mask)), b) as tf.Tensor2D;
    return relu ? tf.relu(product) : product;
  };

describe.skipIf(!built)("the fused native dense layer", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    for (const relu of [true, false]) {
      it(`gives the stock ops' output and gradients within float32 rounding (${backend}, ${relu ? "relu" : "linear"}), with the native part on and off`, async () => {
        await useBackend(backend);
        const c = makeCase(37, 53, 29);
        const expected = results(c, reference(c.mask, relu));
        const fused = results(c, (x, w, b) => maskedDense(x, w, c.mask, b, { relu }));
        useNativeDense(false);
        const off = results(c, (x, w, b) => maskedDense(x, w, c.mask, b, { relu }));
        useNativeDense(true);
        // Sums of up to 53 products of values in [-1, 1]: a few float32 ulps of ~10.
        for (const [i, e] of expected.entries()) {
          expect(worst(fused[i]!, e)).toBeLessThan(1e-5);
          expect(worst(off[i]!, e)).toBeLessThan(1e-5);
        }
        // A pruned connection's gradient is exactly zero (of either sign: the product with a 0 of the mask).
        const dw = fused[2]!.dataSync();
        const mask = c.mask.dataSync();
        expect(Array.from(dw).filter((v, i) => mask[i] === 0 && v !== 0)).toEqual([]);
        tf.dispose([...Object.values(c), ...expected, ...fused, ...off]);
      });
    }
  }

  it("runs one kernel forward and one back in place of the composed ops, masks the weight once, and without a mask multiplies the weight as it is", async () => {
    await useBackend("wasm");
    const c = makeCase(16, 24, 8);
    const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(maskedDense(xx as tf.Tensor2D, ww as tf.Tensor2D, c.mask, bb as tf.Tensor1D, { relu: true }), c.weights));
    // The backend's Multiply of [24, 8] operands (called by the fused kernels directly, so not in the profile).
    const multiply = tf.getKernel("Multiply", "wasm")!;
    let weightProducts = 0;
    tf.unregisterKernel("Multiply", "wasm");
    tf.registerKernel({
      ...multiply,
      kernelFunc: (args) => {
        if ((args.inputs.a as tf.TensorInfo).shape.join() === "24,8") weightProducts++;
        return multiply.kernelFunc(args);
      },
    });
    const tensors = tf.memory().numTensors;
    let profile: Awaited<ReturnType<typeof tf.profile>>;
    try {
      profile = await tf.profile(() => tf.dispose(tf.grads(loss)([c.x, c.w, c.b])));
    } finally {
      tf.unregisterKernel("Multiply", "wasm");
      tf.registerKernel(multiply);
    }
    // w ⊙ mask once, in the forward pass (the backward reads it from there), and the weight gradient's mask: both the
    // addon's own passes where it has them (native-dense-layer.test.ts), else the backend's Multiply.
    const status = nativeStatus();
    const ownPasses = status.available && status.blas.maskMultiply !== undefined;
    expect(weightProducts).toBe(ownPasses ? 0 : 2);
    expect(profile.kernels.find((k) => k.name === "DeepstructDenseLayer")!.outputShapes).toEqual([
      [16, 8],
      [24, 8],
    ]);
    expect(tf.memory().numTensors).toBe(tensors);
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((n) => n.startsWith("DeepstructDenseLayer"))).toEqual(["DeepstructDenseLayer", "DeepstructDenseLayerGrad"]);
    for (const composed of ["Relu", "Step", "ZerosLike", "DeepstructNativeMatMul"]) expect(names).not.toContain(composed);
    // The loss's own sum only: the bias gradient is no sum over the batch.
    expect(names.filter((n) => n === "Sum")).toEqual(["Sum"]);
    const unmasked = results(c, (x, w, b) => nativeDenseLayer(x, w, undefined, b)!);
    const expected = results(c, reference(undefined, false));
    expected.forEach((e, i) => expect(worst(unmasked[i]!, e)).toBeLessThan(1e-5));
    tf.dispose([...Object.values(c), ...unmasked, ...expected]);
  });

  it("gives zeros for the input's gradient when nothing upstream needs it, and rejects shapes that do not fit", async () => {
    await useBackend("wasm");
    const c = makeCase(5, 7, 3);
    const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(maskedDense(xx as tf.Tensor2D, ww as tf.Tensor2D, c.mask, c.b, { relu: true, inputNeedsGradient: false })))([
      c.x,
      c.w,
    ]);
    expect(Array.from(dx!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(dw!.dataSync()).some((v) => v !== 0)).toBe(true);
    expect(() => nativeDenseLayer(c.x, c.w, c.mask, uniform([4]) as tf.Tensor1D)).toThrow(/bias \[4\] do not fit/);
    tf.dispose([...Object.values(c), dx!, dw!]);
  });
});
