/**
 * Training data as fit works with it: checked against the model, flattened
 * to `[n, inputSize]`, split for validation, drawn in batches, evaluated.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { Model } from "../model.js";
import type { Random } from "../random.js";
import { correctCount, loss as lossOf, type LossName } from "./losses.js";
import type { Evaluation, TrainingData } from "./options.js";

/** Training data checked against the model and flattened to `[n, inputSize]`, owned by the caller. */
export interface Prepared {
  readonly x: Tensor2D;
  readonly y: Tensor;
  readonly samples: number;
  dispose(): void;
}

export function prepare(model: Model, data: TrainingData, where: string, lossName: LossName): Prepared {
  if (data === null || typeof data !== "object" || !(data.x instanceof tf.Tensor) || !(data.y instanceof tf.Tensor)) {
    throw new Error(`${where}: expected { x, y } with two tensors`);
  }
  const { x, y } = data;
  const inputSize = model.inputShape.reduce((a, b) => a * b, 1);
  const outputSize = model.outputShape[0]!;
  const samples = x.shape[0] ?? 0;
  const full = x.rank === model.inputShape.length + 1 && model.inputShape.every((d, i) => x.shape[i + 1] === d);
  const flat = x.rank === 2 && x.shape[1] === inputSize;
  if (!full && !flat) {
    throw new Error(`${where}: x has shape [${x.shape.join(", ")}]; expected [n, ${model.inputShape.join(", ")}] or [n, ${inputSize}]`);
  }
  if (samples === 0) throw new Error(`${where}: there are no samples`);
  if (y.shape[0] !== samples) throw new Error(`${where}: x has ${samples} samples but y has ${y.shape[0] ?? 0}`);
  if (y.rank === 1) {
    if (lossName === "mse" && outputSize !== 1) {
      throw new Error(`${where}: mean squared error needs targets of shape [n, ${outputSize}], got class indices [n]`);
    }
    if (lossName === "crossEntropy") checkClasses(where, y, outputSize);
    else checkTargets(where, y, 1);
  } else if (y.rank !== 2 || y.shape[1] !== outputSize) {
    throw new Error(`${where}: y has shape [${y.shape.join(", ")}]; expected class indices [${samples}] or rows [${samples}, ${outputSize}]`);
  } else checkTargets(where, y, outputSize);
  const xs = tf.tidy(() => tf.reshape(tf.cast(x, "float32"), [samples, inputSize]) as Tensor2D);
  const ys = tf.tidy(() => (y.rank === 1 && lossName === "crossEntropy" ? tf.cast(y, "int32") : tf.reshape(tf.cast(y, "float32"), [samples, outputSize])));
  return { x: xs, y: ys, samples, dispose: () => tf.dispose([xs, ys]) };
}

function checkClasses(where: string, y: Tensor, outputSize: number): void {
  const values = y.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= outputSize) {
      throw new Error(`${where}: y[${i}] is ${v}, which is not a class of a network with ${outputSize} outputs (0 … ${outputSize - 1})`);
    }
  }
}

/** A NaN or infinite target makes the loss NaN at whatever step draws it; refused once, up front, by its place. */
function checkTargets(where: string, y: Tensor, width: number): void {
  const values = y.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0)
      throw new Error(`${where}: the target of sample ${Math.floor(i / width)} holds ${v}${width > 1 ? ` at entry ${i % width}` : ""}; targets must be finite numbers`);
  }
}

/** The sums over `data`, in batches, as one tensor [loss × samples, correct], so reading them is one read. */
function evaluationSums(model: Model, data: Prepared, lossName: LossName, batchSize: number): Tensor1D {
  return tf.tidy(() => {
    const sums: Tensor[] = [];
    for (let start = 0; start < data.samples; start += batchSize) {
      const size = Math.min(batchSize, data.samples - start);
      const logits = model.predict(tf.slice(data.x, start, size)) as Tensor2D;
      const y = tf.slice(data.y, start, size);
      const right = lossName === "crossEntropy" ? tf.cast(correctCount(logits, y), "float32") : tf.scalar(0);
      sums.push(tf.stack([tf.mul(lossOf(lossName, logits, y), size), right]));
    }
    return tf.sum(tf.stack(sums), 0) as Tensor1D;
  });
}

function evaluation(sums: ArrayLike<number>, data: Prepared, lossName: LossName): Evaluation {
  const loss = sums[0]! / data.samples;
  return lossName === "crossEntropy" ? { loss, accuracy: sums[1]! / data.samples, samples: data.samples } : { loss, samples: data.samples };
}

export function evaluatePrepared(model: Model, data: Prepared, lossName: LossName, batchSize: number): Evaluation {
  const sums = evaluationSums(model, data, lossName, batchSize);
  try {
    return evaluation(sums.dataSync(), data, lossName);
  } finally {
    sums.dispose();
  }
}

/** {@link evaluatePrepared}, reading the sums asynchronously. */
export async function evaluatePreparedAsync(model: Model, data: Prepared, lossName: LossName, batchSize: number): Promise<Evaluation> {
  const sums = evaluationSums(model, data, lossName, batchSize);
  try {
    return evaluation(await sums.data(), data, lossName);
  } finally {
    sums.dispose();
  }
}

/** A permutation of 0 … n−1 drawn from `random` (Fisher–Yates, from the end). */
export function permutation(n: number, random: Random): Int32Array {
  const order = identity(n);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

export function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * Keras's validation_split: the first ⌊n · (1 − fraction)⌋ samples train,
 * the rest are held out; both parts own their tensors, and `data` is
 * disposed (unless this throws).
 * @throws Error (naming `where`) when either part would be empty.
 */
export function splitOff(data: Prepared, fraction: number, where: string): { train: Prepared; validation: Prepared } {
  const kept = Math.floor(data.samples * (1 - fraction));
  if (kept === 0 || kept === data.samples) {
    throw new Error(`${where}: validationSplit ${fraction} of ${data.samples} samples leaves ${kept === 0 ? "no sample to train on" : "no sample to validate on"}`);
  }
  const part = (start: number, size: number): Prepared => {
    const x = tf.slice(data.x, start, size);
    const y = tf.slice(data.y, start, size);
    return { x, y, samples: size, dispose: () => tf.dispose([x, y]) };
  };
  const split = { train: part(0, kept), validation: part(kept, data.samples - kept) };
  data.dispose();
  return split;
}
