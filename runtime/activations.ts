/** The activations a network's hidden layers can use. */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationName } from "./spec.js";

export const ACTIVATIONS: readonly ActivationName[] = ["relu", "tanh", "sigmoid", "elu", "linear"];

export function isActivation(name: string): name is ActivationName {
  return (ACTIVATIONS as readonly string[]).includes(name);
}

/** The activation applied entry by entry, to a layer [batch, neurons] or a feature map alike. */
export function activate<T extends Tensor>(name: ActivationName, x: T): T {
  switch (name) {
    case "relu":
      return tf.relu(x);
    case "tanh":
      return tf.tanh(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "elu":
      return tf.elu(x);
    case "linear":
      return x;
  }
}
