// Apart from dataset.ts so that the compiler, which samples declared datasets, never loads TensorFlow.js.
import * as tf from "@tensorflow/tfjs-core";
import type { Dataset } from "./dataset.js";

/**
 * The tensors `fit` and `evaluate` take: x `[size, featureSize]`, y int32
 * `[size]` for classes or float32 `[size, width]` for targets. The caller
 * owns (and disposes) them.
 */
export function toTensors(data: Dataset): { x: tf.Tensor2D; y: tf.Tensor } {
  const x = tf.tensor2d(data.features, [data.size, data.featureSize]);
  const y = data.labels.kind === "classes" ? tf.tensor1d(data.labels.classes, "int32") : tf.tensor2d(data.labels.values, [data.size, data.labels.width]);
  return { x, y };
}
