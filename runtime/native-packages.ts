/**
 * The packages of TensorFlow.js's native `tensorflow` backend, GPU build
 * first: optional peers, used only where an app (or `dsc`) has one
 * installed. A module of its own, importing nothing, so the CLI can check
 * for them without loading TensorFlow.js.
 */
export const NATIVE_PACKAGES: readonly string[] = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];
