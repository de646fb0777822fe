/**
 * The fused masked dense kernel: `x · (w ⊙ mask) + bias`.
 *
 * `x` is the concatenation of a kernel's source activations `[batch, Σ source
 * sizes]`, `w` and `mask` are `[Σ source sizes, targetSize]` (mask 0/1 as
 * float32), `bias` is `[targetSize]`.
 *
 * The gradient is written out rather than left to TensorFlow.js: the stock
 * gradient of `matMul` multiplies with `transposeA`/`transposeB`, which on the
 * WASM backend runs 10–40× slower than an explicit `transpose` followed by a
 * plain product (256×1024 by 1024×1024 here: about 800 ms with `transposeA`,
 * 200 ms with `transposeB`, 18 ms plain, 21 ms for an explicit transpose;
 * `npm run bench gradient` compares them). Where the native part is built
 * (native/, runtime/kernels/native/) the products run on OpenBLAS instead,
 * which transposes as it multiplies (see dense-product.ts). It also multiplies the
 * weight gradient by the mask, so a pruned connection's gradient is exactly
 * zero and no optimizer (momentum, Adam) ever moves it.
 */
import * as tf from "@tensorflow/tfjs-core";
import "../gradients.js";
import { denseProduct, nativeDenseLayer } from "./native/index.js";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";

type Gradients = [Tensor, Tensor, Tensor, Tensor];
/** customGrad passes tensors and its save function through one rest parameter. */
type SaveFunction = (tensors: Tensor[]) => void;

function forward(x: Tensor2D, w: Tensor2D, mask: Tensor2D, bias: Tensor1D, save: SaveFunction): Tensor2D {
  const effective = tf.mul(w, mask) as Tensor2D;
  save([x, effective, mask]);
  return denseProduct(x, effective, { bias });
}

/** Weight, mask and bias gradients; the mask is data and gets none (a zero tensor, never read). */
function parameterGradients(dy: Tensor2D, x: Tensor2D, mask: Tensor2D): [Tensor, Tensor, Tensor] {
  const dw = tf.mul(denseProduct(x, dy, { transposeA: true }), mask);
  return [dw, tf.zerosLike(mask), tf.sum(dy, 0)];
}

const withInputGradient = tf.customGrad((x, w, mask, bias, save) => ({
  value: forward(x as Tensor2D, w as Tensor2D, mask as Tensor2D, bias as Tensor1D, save as SaveFunction),
  gradFunc: (dy, saved): Gradients => {
    const [input, effective, m] = saved as [Tensor2D, Tensor2D, Tensor2D];
    const dx = denseProduct(dy as Tensor2D, effective, { transposeB: true });
    return [dx, ...parameterGradients(dy as Tensor2D, input, m)];
  },
}));

/** For kernels that read only the network's input: nothing upstream needs dx, so its product is skipped. */
const withoutInputGradient = tf.customGrad((x, w, mask, bias, save) => ({
  value: forward(x as Tensor2D, w as Tensor2D, mask as Tensor2D, bias as Tensor1D, save as SaveFunction),
  gradFunc: (dy, saved): Gradients => {
    const [input, , m] = saved as [Tensor2D, Tensor2D, Tensor2D];
    return [tf.zerosLike(input), ...parameterGradients(dy as Tensor2D, input, m)];
  },
}));

/** For learnable masks: the mask gets its gradient too, (xᵀ · dy) ⊙ w. */
const withMaskGradient = tf.customGrad((x, w, mask, bias, save) => {
  (save as SaveFunction)([x as Tensor, w as Tensor, mask as Tensor]);
  return {
    value: denseProduct(x as Tensor2D, tf.mul(w as Tensor, mask as Tensor) as Tensor2D, { bias: bias as Tensor1D }),
    gradFunc: (dy, saved): Gradients => {
      const [input, weight, m] = saved as [Tensor2D, Tensor2D, Tensor2D];
      const xt = denseProduct(input, dy as Tensor2D, { transposeA: true });
      const dx = denseProduct(dy as Tensor2D, tf.mul(weight, m) as Tensor2D, { transposeB: true });
      return [dx, tf.mul(xt, m), tf.mul(xt, weight), tf.sum(dy, 0)];
    },
  };
});

/** For dynamic sparse training (RigL): the weight gradient at every entry, pruned ones too, xᵀ · dy. */
const withDenseWeightGradient = tf.customGrad((x, w, mask, bias, save) => ({
  value: forward(x as Tensor2D, w as Tensor2D, mask as Tensor2D, bias as Tensor1D, save as SaveFunction),
  gradFunc: (dy, saved): Gradients => {
    const [input, effective, m] = saved as [Tensor2D, Tensor2D, Tensor2D];
    const dx = denseProduct(dy as Tensor2D, effective, { transposeB: true });
    return [dx, denseProduct(input, dy as Tensor2D, { transposeA: true }), tf.zerosLike(m), tf.sum(dy, 0)];
  },
}));

export interface MaskedDenseOptions {
  /** Whether anything upstream needs the gradient of `x` (default true). */
  readonly inputNeedsGradient?: boolean;
  /** Learnable masks: the mask gets the gradient (xᵀ · dy) ⊙ w. */
  readonly maskNeedsGradient?: boolean;
  /** Return the unmasked weight gradient, for growing connections where the gradient is largest. */
  readonly denseWeightGradient?: boolean;
  /** Apply ReLU to the result (default false): inside the kernel where the native products run (see native/dense-layer.ts). */
  readonly relu?: boolean;
  /** `x` comes transposed, [inputs, batch] (a graph kernel's neuron-major output), and its gradient goes back so. */
  readonly inputTransposed?: boolean;
}

export function maskedDense(x: Tensor2D, w: Tensor2D, mask: Tensor2D, bias: Tensor1D, options: MaskedDenseOptions = {}): Tensor2D {
  if (!options.denseWeightGradient && !options.maskNeedsGradient) {
    const fused = nativeDenseLayer(x, w, mask, bias, {
      relu: options.relu === true,
      inputNeedsGradient: options.inputNeedsGradient !== false,
      inputTransposed: options.inputTransposed === true,
    });
    if (fused !== undefined) return fused;
  }
  const product = composed(options.inputTransposed ? tf.transpose(x) : x, w, mask, bias, options);
  return options.relu ? tf.relu(product) : product;
}

/** The masked product of stock ops and the native (or TensorFlow.js's) products, with one of the custom gradients above. */
function composed(x: Tensor2D, w: Tensor2D, mask: Tensor2D, bias: Tensor1D, options: MaskedDenseOptions): Tensor2D {
  const op = options.denseWeightGradient
    ? withDenseWeightGradient
    : options.maskNeedsGradient
      ? withMaskGradient
      : options.inputNeedsGradient === false
        ? withoutInputGradient
        : withInputGradient;
  return op(x, w, mask, bias) as Tensor2D;
}
