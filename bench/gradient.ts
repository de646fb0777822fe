/**
 * The masked kernel's custom gradient (explicit transposes) against
 * TensorFlow.js's stock gradient of the same expression (transposed matMul),
 * on the current backend: forward and backward of x · (W ⊙ M) + b; the
 * custom gradient on TensorFlow.js's products and, where the native part is
 * built, on the native ones.
 */
import { maskedDense } from "../runtime/kernels/masked-dense.js";
import { tf, useBackend } from "../runtime/index.js";
import { nativeDenseActive, setNativeThreads, useNativeDense } from "../runtime/kernels/native/index.js";
import { medianSeconds, row } from "./timing.js";

export async function benchGradient(): Promise<string[]> {
  await useBackend("wasm");
  const native = nativeDenseActive();
  if (native) setNativeThreads(1);
  const lines = [
    `backend ${tf.getBackend()}, median of 5 after 1${native ? "; native products on one thread" : "; no native part"}`,
    "",
    row(["batch × in × out", "custom, native (ms)", "custom, WASM (ms)", "stock gradient (ms)", "stock / custom WASM", "stock / custom native"]),
    row(["---", "---", "---", "---", "---", "---"]),
  ];
  for (const [batch, rows, cols] of [
    [32, 784, 128],
    [256, 1024, 1024],
  ] as const) {
    const x = tf.randomUniform([batch, rows], -1, 1, "float32", 1) as tf.Tensor2D;
    const w = tf.randomUniform([rows, cols], -1, 1, "float32", 2) as tf.Tensor2D;
    const mask = tf.cast(tf.greater(tf.randomUniform([rows, cols], 0, 1, "float32", 3), 0.5), "float32") as tf.Tensor2D;
    const b = tf.zeros([cols]) as tf.Tensor1D;
    const gradients = (f: (xx: tf.Tensor2D, ww: tf.Tensor2D) => tf.Tensor2D) => (): void => {
      const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(f(xx as tf.Tensor2D, ww as tf.Tensor2D)))([x, w]);
      grads.forEach((g) => g.dataSync());
      tf.dispose(grads);
    };
    const customNative = native ? medianSeconds(gradients((xx, ww) => maskedDense(xx, ww, mask, b))) : undefined;
    useNativeDense(false);
    const custom = medianSeconds(gradients((xx, ww) => maskedDense(xx, ww, mask, b)));
    useNativeDense(true);
    const stock = medianSeconds(gradients((xx, ww) => tf.add(tf.matMul(xx, tf.mul(ww, mask) as tf.Tensor2D), b)));
    lines.push(
      row([
        `${batch} × ${rows} × ${cols}`,
        customNative === undefined ? "—" : customNative * 1000,
        custom * 1000,
        stock * 1000,
        `${(stock / custom).toFixed(1)}×`,
        customNative === undefined ? "—" : `${(stock / customNative).toFixed(1)}×`,
      ]),
    );
    tf.dispose([x, w, mask, b]);
  }
  return lines;
}
