import { tf } from "../../runtime/index.js";

/** One-hot targets over 10 classes for a batch, sample i of class (7 i) mod 10: every class, no two neighbours alike. */
export function oneHotLabels(batch: number): tf.Tensor2D {
  const classes = tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10),
    "int32",
  );
  const y = tf.oneHot(classes, 10) as tf.Tensor2D;
  classes.dispose();
  return y;
}
