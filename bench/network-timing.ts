/**
 * Timing a network the way every network benchmark here does, so ours and
 * each baseline get the same warm-up and repetitions: forward passes and
 * Adam steps (softmax cross-entropy) of one batch, each the median of its
 * repeats after its warm-up runs.
 */
import { createNetwork, createOptimizer, tf, type Model } from "../runtime/index.js";
import { nativeStatus } from "../runtime/kernels/native/index.js";
import { loss } from "../runtime/training/losses.js";
import { analyze, networkSpec } from "../src/index.js";

export interface Repetitions {
  readonly forward: { readonly warmup: number; readonly repeats: number };
  readonly step: { readonly warmup: number; readonly repeats: number };
}

/** The median of `repeats` timed runs after `warmup` untimed ones, in seconds. */
export function medianOf(run: () => void, warmup: number, repeats: number): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push((performance.now() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)]!;
}

/** A forward function and its trainable variables: ours, or a baseline built on the same weights. */
export interface Timed {
  readonly forward: (x: tf.Tensor2D) => tf.Tensor2D;
  readonly variables: tf.Variable[];
}

/**
 * `adam` is createOptimizer's (one fused op per step where the native part runs, TensorFlow.js's Adam elsewhere),
 * `tfjs-adam` TensorFlow.js's own, for the figures before the fused step.
 */
export type TimedOptimizer = "adam" | "tfjs-adam" | "sgd";

/** A forward pass and an Adam (or SGD) step of `net` on one batch, as runs to time; dispose() frees what they hold. */
export interface ForwardAndStepRuns {
  readonly forward: () => void;
  readonly step: () => void;
  readonly dispose: () => void;
}

/**
 * One step of `train` on softmax cross-entropy against the one-hot `y`, the loss read back as a trainer reads it. The
 * loss is the one `fit` takes (training/losses.ts: one kernel, loss and gradient, on wasm and cpu), for ours and for
 * every TensorFlow.js baseline alike; TensorFlow.js's own (tf.losses.softmaxCrossEntropy) is a dozen kernels,
 * 0.3-0.6 ms a step of engine work on one thread whatever the network.
 */
export function stepRun(net: Timed, x: tf.Tensor2D, y: tf.Tensor, train: tf.Optimizer): () => void {
  return () => {
    const cost = train.minimize(() => loss("crossEntropy", net.forward(x), y), true, net.variables);
    cost?.dataSync();
    cost?.dispose();
  };
}

export function optimizerOf(name: TimedOptimizer): tf.Optimizer {
  return name === "adam" ? createOptimizer("adam") : name === "tfjs-adam" ? tf.train.adam(0.001) : tf.train.sgd(0.01);
}

export function forwardAndStepRuns(net: Timed, x: tf.Tensor2D, labels: Int32Array, optimizer: TimedOptimizer = "adam"): ForwardAndStepRuns {
  const classes = tf.tidy(() => net.forward(x).shape[1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), classes));
  const train = optimizerOf(optimizer);
  return {
    forward: () => tf.tidy(() => void net.forward(x).dataSync()),
    step: stepRun(net, x, y, train),
    dispose: () => {
      train.dispose();
      y.dispose();
    },
  };
}

export function timeForwardAndStep(net: Timed, x: tf.Tensor2D, labels: Int32Array, reps: Repetitions, optimizer: TimedOptimizer = "adam"): { forward: number; step: number } {
  const runs = forwardAndStepRuns(net, x, labels, optimizer);
  const forward = medianOf(runs.forward, reps.forward.warmup, reps.forward.repeats);
  const step = medianOf(runs.step, reps.step.warmup, reps.step.repeats);
  runs.dispose();
  return { forward, step };
}

export function timeNetwork(model: Model, x: tf.Tensor2D, labels: Int32Array, reps: Repetitions, optimizer: TimedOptimizer = "adam"): { forward: number; step: number } {
  return timeForwardAndStep({ forward: (input) => model.predict(input) as tf.Tensor2D, variables: model.parameters.map((p) => p.variable) }, x, labels, reps, optimizer);
}

/** One native sgemm 256 × 1024 × 1024 on the BLAS's current threads, as a run to time (the machine's peak). */
export function nativePeakRun(): () => void {
  const status = nativeStatus();
  if (!status.available) throw new Error(`bench: no native peak without the native part (${status.reason})`);
  const a = Float32Array.from({ length: 256 * 1024 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const b = Float32Array.from({ length: 1024 * 1024 }, (_, i) => ((i * 104729) % 1000) / 1000);
  const c = new Float32Array(256 * 1024);
  return () => status.blas.gemm(false, false, 256, 1024, 1024, a, b, c, null);
}

/** Seconds of the native sgemm 256 × 1024 × 1024 on the BLAS's current threads (median of 21 after 5). */
export function nativePeak(): number {
  return medianOf(nativePeakRun(), 5, 21);
}

/** The benchmark network: `watts_strogatz(n, 4, 0.5, seed 1)` as the structure of 784 → 10, on WASM, seed 0, execution auto. */
export async function wattsStrogatzNetwork(n: number): Promise<Model> {
  const { plans } = analyze(`graph g = watts_strogatz(n=${n}, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }`);
  return createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0, execution: "auto" });
}
