/**
 * Softmax cross-entropy as one op: the batch's mean loss and, in the same
 * pass over the logits, its gradient, which the backward pass scales by the
 * incoming one. Composed of TensorFlow.js ops (logSoftmax, multiply, sum,
 * negate, mean) it is about thirty kernels a training step, forward and
 * backward, each with the engine's dispatch and tape bookkeeping: on a
 * pruned LeNet-300-100 step that was a sixth of the step. The sums run in
 * float64 and are stored as float32, so the loss and gradient agree with
 * the composed ops' within float32 rounding.
 *
 * On TensorFlow.js's WASM and CPU backends; elsewhere undefined, and the
 * caller composes the ops.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedTensorInfoMap, Scalar, Tensor, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";

const KERNEL = "DeepstructSoftmaxCrossEntropy";
const BACKENDS = ["wasm", "cpu"] as const;

/** The backend calls used here (not in KernelBackend's public types): both backends read; the WASM one makes outputs on its heap, the CPU one from values. */
interface Backend {
  readSync(dataId: object): ArrayLike<number>;
  disposeData(dataId: object): void;
  makeTensorInfo?(shape: number[], dtype: DataType, values: Float32Array | Int32Array): TensorInfo;
  makeOutput?(shape: number[], dtype: DataType): TensorInfo;
  readonly dataIdMap?: { get(dataId: object): { readonly memoryOffset: number } | undefined };
  readonly wasm?: { readonly HEAPF32: Float32Array };
}

/** The tensor's floats, to write, on the WASM backend's heap. */
const heapFloats = (backend: Backend, info: TensorInfo, count: number): Float32Array =>
  new Float32Array(backend.wasm!.HEAPF32.buffer, backend.dataIdMap!.get(info.dataId)!.memoryOffset >>> 0, count);

/** A class index as tf.oneHot reads it: −1 (a zero row) outside [0, classes). */
const labelClass = (label: number, classes: number): number => (label >= 0 && label < classes ? label : -1);

/**
 * The mean loss, its gradient by the logits, (softmax · Σ targets − targets) / batch,
 * and the number of rows whose largest logit (the first, as tf.argMax) is at the
 * targets' class: what `correctCount` counts, from the same pass. Targets are rows
 * [batch, classes] or class indices [batch] (int32), read as tf.oneHot's rows.
 * The exponentials are the backend's own Softmax kernel's (SIMD on WASM; JavaScript's
 * Math.exp costs ~30 ns an entry), called directly, not through the engine; the log-
 * probabilities are the logits less the row's largest, plus the log of its probability
 * (one log a row, finite however small the other probabilities are). On WASM the
 * gradient is written over the softmax's own output.
 */
function softmaxCrossEntropyKernel(kernelBackend: KernelBackend, logits: TensorInfo, targets: TensorInfo): TensorInfo[] {
  const [batch, classes] = logits.shape as [number, number];
  const labels = targets.shape.length === 1;
  const backend = kernelBackend as unknown as Backend;
  const softmax = tf.getKernel("Softmax", tf.getBackend())!.kernelFunc({ inputs: { logits }, backend: kernelBackend, attrs: { dim: 1 } }) as TensorInfo;
  const [z, y] = [backend.readSync(logits.dataId), backend.readSync(targets.dataId)];
  const onHeap = backend.wasm !== undefined;
  const p = onHeap ? heapFloats(backend, softmax, batch * classes) : Float32Array.from(backend.readSync(softmax.dataId));
  let [total, correct] = [0, 0];
  for (let b = 0, row = 0; b < batch; b++, row += classes) {
    // Rows: the targets' first largest entry (as tf.argMax picks) and their sum, in the pass for the largest logit.
    let [largest, best, sum] = [row, row, 0];
    for (let c = row; c < row + classes; c++) {
      if (z[c]! > z[largest]!) largest = c;
      if (labels) continue;
      if (y[c]! > y[best]!) best = c;
      sum += y[c]!;
    }
    const picked = labels ? labelClass(y[b]!, classes) : best - row;
    if (labels) sum = picked === -1 ? 0 : 1;
    if (largest - row === picked) correct++;
    const shift = Math.log(p[largest]!) - z[largest]!;
    for (let c = row; c < row + classes; c++) {
      const target = labels ? (c - row === picked ? 1 : 0) : y[c]!;
      if (target !== 0) total -= target * (z[c]! + shift);
      p[c] = (p[c]! * sum - target) / batch;
    }
  }
  const mean = Float32Array.of(total / batch);
  if (!onHeap) {
    backend.disposeData(softmax.dataId);
    return [backend.makeTensorInfo!([], "float32", mean), backend.makeTensorInfo!([batch, classes], "float32", p), backend.makeTensorInfo!([], "int32", Int32Array.of(correct))];
  }
  const [loss, count] = [backend.makeOutput!([], "float32"), backend.makeOutput!([], "int32")];
  heapFloats(backend, loss, 1).set(mean);
  new Int32Array(backend.wasm!.HEAPF32.buffer, backend.dataIdMap!.get(count.dataId)!.memoryOffset >>> 0, 1)[0] = correct;
  return [loss, softmax, count];
}

for (const backendName of BACKENDS)
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend }: { inputs: NamedTensorInfoMap; backend: unknown }) => softmaxCrossEntropyKernel(backend as KernelBackend, inputs.logits!, inputs.targets!),
  });

type SaveFunction = (tensors: Tensor[]) => void;

/**
 * The logits' gradient times the incoming one. A training step's incoming gradient is the loss's own, exactly 1 (what
 * `optimizer.minimize` and `tf.grad` start from): times 1 is the gradient bit for bit, so it is handed on as a clone (the
 * engine disposes what was saved; a clone shares the data, no copy) instead of a Multiply over the batch's logits (13 µs
 * of a 1.3 ms pruned LeNet-300-100 step). Reading the scalar is a read of host memory on both backends here.
 */
function scaledGradient(gradient: Tensor, dy: Tensor): Tensor {
  return dy.size === 1 && dy.dataSync()[0] === 1 ? tf.clone(gradient) : tf.mul(gradient, dy);
}

/** The batch's mean loss, and where asked for, its number of correct predictions (an int32 scalar the caller disposes; it gets no gradient). */
export interface FusedLoss {
  readonly loss: Scalar;
  readonly correct: Scalar | undefined;
}

/**
 * The mean over the batch of −Σ rows · logSoftmax(logits), and its gradient
 * by the logits (the targets get none), in one kernel, with `counting` also
 * the number of rows whose largest logit is at the targets' class (what
 * losses.ts's `correctCount` computes in five more kernels). Targets are rows
 * [batch, classes] (one-hot or soft) or int32 class indices [batch]
 * (tf.oneHot's rows, without making them). Undefined where that kernel
 * cannot run on the current backend.
 * @throws Error when the shapes differ.
 */
export function fusedSoftmaxCrossEntropy(logits: Tensor2D, targets: Tensor, counting = false): FusedLoss | undefined {
  if (!(BACKENDS as readonly string[]).includes(tf.getBackend())) return undefined;
  const [batch, classes] = logits.shape;
  const labels = targets.rank === 1;
  if (labels ? targets.shape[0] !== batch : targets.shape.join() !== [batch, classes].join())
    throw new Error(`softmax cross-entropy: logits [${logits.shape}] and targets [${targets.shape}] differ in shape${labels ? " (class indices: one a row)" : ""}`);
  // The kernel reads rows as numbers whatever their type (one-hot rows are int32): no cast op; class indices as int32.
  const read = labels
    ? targets.dtype === "int32"
      ? targets
      : tf.cast(targets, "int32")
    : targets.dtype === "float32" || targets.dtype === "int32"
      ? targets
      : tf.cast(targets, "float32");
  let correct: Scalar | undefined;
  const op = tf.customGrad((z, save) => {
    const [loss, gradient, count] = tf.engine().runKernel(KERNEL, { logits: z as Tensor, targets: read }) as Tensor[];
    (save as SaveFunction)([gradient!]);
    // Made inside the op's own scope, which disposes what it does not return: kept for the caller.
    if (counting) correct = tf.keep(count as Scalar);
    return { value: loss!, gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => scaledGradient(saved[0]!, dy as Tensor) };
  });
  const loss = op(logits) as Scalar;
  return { loss, correct };
}
