/**
 * Float32 variables made one after another for a store, kept in a list so
 * that a store that fails half-way can dispose what it had already made.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Variable } from "@tensorflow/tfjs-core";

export interface VariableMaker {
  readonly made: Variable[];
  variable<R extends tf.Rank>(values: Float32Array, shape: number[], trainable: boolean): Variable<R>;
}

export function variableMaker(): VariableMaker {
  const made: Variable[] = [];
  return {
    made,
    variable<R extends tf.Rank>(values: Float32Array, shape: number[], trainable: boolean): Variable<R> {
      const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32") as tf.Tensor, trainable)) as unknown as Variable<R>;
      made.push(v);
      return v;
    },
  };
}
