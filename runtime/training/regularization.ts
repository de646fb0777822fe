/**
 * What a training step adds to plain gradient descent: L2 regularisation
 * (a loss term), decoupled weight decay (a step outside the gradient) and
 * gradient clipping.
 *
 * Both regularisers act on the connections' weights only — the `.weight`
 * parameters, not biases, layer-norm gains and shifts or mask logits — and
 * only on live connections: a weight's stored value under a 0 in the mask is
 * kept for when the connection is switched on again (see Model.setMask), so
 * neither may move it. The masks are read afresh each step, since pruning,
 * growth, learnable masks and callbacks change them between steps.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Scalar, Tensor, Variable } from "@tensorflow/tfjs-core";
import type { Model } from "../model.js";
import { forEachBlockConnection, networkLayout, type KernelLayout } from "../storage/layout.js";

/** A connection weight and, unless every connection is live, its 0/1 mask in the weight's shape. */
export interface MaskedWeight {
  readonly variable: Variable;
  readonly mask: Tensor | undefined;
}

/** Reads the model's masks into tensors in its weights' canonical layout, step after step. */
export interface LiveWeights {
  /** The weights with their current masks; the caller disposes the masks (`release`). */
  current(): MaskedWeight[];
  release(weights: readonly MaskedWeight[]): void;
}

export function liveWeights(model: Model): LiveWeights {
  const variables = new Map(model.parameters.map((p) => [p.name, p.variable]));
  const kernels: { layout: KernelLayout; variable: Variable }[] = [];
  for (const layout of networkLayout(model.spec)) {
    const variable = variables.get(`${model.spec.layers[layout.target]!.name}.weight`);
    if (variable !== undefined) kernels.push({ layout, variable });
  }
  return {
    current: () =>
      kernels.map(({ layout, variable }) => {
        // Per connection (the canonical layout), from each block's row-major mask.
        const live = new Float32Array(layout.count);
        for (const slice of layout.blocks) {
          const mask = model.getMask(slice.name);
          forEachBlockConnection(layout, slice, (e, entry) => (live[e] = mask[entry]!));
        }
        return { variable, mask: live.every((m) => m === 1) ? undefined : tf.tensor(live, variable.shape, "float32") };
      }),
    release: (weights) => tf.dispose(weights.flatMap((w) => (w.mask === undefined ? [] : [w.mask]))),
  };
}

function live(weight: MaskedWeight): Tensor {
  return weight.mask === undefined ? weight.variable : tf.mul(weight.variable, weight.mask);
}

/** λ · Σ w² over the live weights (Keras's L2 term), for the loss; record it on the gradient tape. */
export function l2Penalty(weights: readonly MaskedWeight[], lambda: number): Scalar {
  return tf.mul(lambda, tf.addN(weights.map((w) => tf.sum(tf.square(live(w)))))) as Scalar;
}

/**
 * w ← w − rate · w at the live weights (rate = lr_t · λ). `fit` calls it
 * after computing the step's gradients and before the optimizer applies
 * them: the update does not read w, so this is AdamW's
 * θ_t = θ_{t−1} − lr_t·(update + λ·θ_{t−1}) exactly.
 */
export function decayWeights(weights: readonly MaskedWeight[], rate: number): void {
  tf.tidy(() => {
    for (const w of weights) w.variable.assign(tf.sub(w.variable, tf.mul(rate, live(w))));
  });
}

/**
 * The gradients clipped: all rescaled by clipNorm / max(‖g‖, clipNorm), ‖g‖
 * the global L2 norm over every gradient, then each entry clipped to
 * [−clipValue, clipValue] (Keras's order). Missing gradients stay missing.
 * Returns new tensors, which the caller disposes.
 */
export function clipGradients(gradients: readonly (Tensor | undefined)[], clipNorm: number | undefined, clipValue: number | undefined): (Tensor | undefined)[] {
  return tf.tidy(() => {
    const present = gradients.filter((g): g is Tensor => g !== undefined);
    let clipped: (Tensor | undefined)[] = [...gradients];
    if (clipNorm !== undefined && present.length > 0) {
      const norm = tf.sqrt(tf.addN(present.map((g) => tf.sum(tf.square(g)))));
      // Exactly 1 when the norm is within the bound: clipNorm / clipNorm.
      const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
      clipped = clipped.map((g) => g && tf.mul(g, scale));
    }
    if (clipValue !== undefined) clipped = clipped.map((g) => g && tf.clipByValue(g, -clipValue, clipValue));
    return clipped;
  });
}
