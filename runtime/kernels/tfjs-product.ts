/**
 * `op(a) · op(b) (+ bias)` on TensorFlow.js's own matMul, with explicit
 * transposes (its transposed products run tens of times slower: see
 * masked-dense.ts). The dense products' path wherever the native part does
 * not run: native/dense-product.ts without the addon, and in browsers
 * native/browser.ts.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";

export interface ProductOptions {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
  /** Added to every row of the product. */
  readonly bias?: Tensor1D;
}

export function tfjsProduct(a: Tensor2D, b: Tensor2D, options: ProductOptions = {}): Tensor2D {
  return tf.tidy((): Tensor2D => {
    const product = tf.matMul(options.transposeA === true ? tf.transpose(a) : a, options.transposeB === true ? tf.transpose(b) : b) as Tensor2D;
    return options.bias === undefined ? product : (tf.add(product, options.bias) as Tensor2D);
  });
}
