/**
 * The fused masked dense kernel: `x · (w ⊙ mask) + bias`.
 *
 * `x` is the concatenation of a kernel's source activations `[batch, Σ source
 * sizes]`, `w` and `mask` are `[Σ source sizes, targetSize]` (mask 0/1 as
 * float32), `bias` is `[targetSize]`. Kept in its own file so that a custom
 * gradient (or a sparse execution) can be registered beside it.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";

export function maskedDense(x: Tensor2D, w: Tensor2D, mask: Tensor2D, bias?: Tensor1D): Tensor2D {
  return tf.tidy((): Tensor2D => {
    const product: Tensor2D = tf.matMul(x, tf.mul(w, mask));
    return bias === undefined ? product : tf.add(product, bias);
  });
}
