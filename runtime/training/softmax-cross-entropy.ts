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
  makeTensorInfo?(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
  makeOutput?(shape: number[], dtype: DataType): TensorInfo;
  readonly dataIdMap?: { get(dataId: object): { readonly memoryOffset: number } | undefined };
  readonly wasm?: { readonly HEAPF32: Float32Array };
}

/** The tensor's floats, to write, on the WASM backend's heap. */
const heapFloats = (backend: Backend, info: TensorInfo, count: number): Float32Array =>
  new Float32Array(backend.wasm!.HEAPF32.buffer, backend.dataIdMap!.get(info.dataId)!.memoryOffset >>> 0, count);

/**
 * The mean loss, and its gradient by the logits, (softmax · Σ rows − rows) / batch.
 * The exponentials are the backend's own Softmax kernel's (SIMD on WASM; JavaScript's
 * Math.exp costs ~30 ns an entry), called directly, not through the engine; the log-
 * probabilities are the logits less the row's largest, plus the log of its probability
 * (one log a row, finite however small the other probabilities are). On WASM the
 * gradient is written over the softmax's own output.
 */
function softmaxCrossEntropyKernel(kernelBackend: KernelBackend, logits: TensorInfo, rows: TensorInfo): TensorInfo[] {
  const [batch, classes] = logits.shape as [number, number];
  const backend = kernelBackend as unknown as Backend;
  const softmax = tf.getKernel("Softmax", tf.getBackend())!.kernelFunc({ inputs: { logits }, backend: kernelBackend, attrs: { dim: 1 } }) as TensorInfo;
  const [z, y] = [backend.readSync(logits.dataId), backend.readSync(rows.dataId)];
  const onHeap = backend.wasm !== undefined;
  const p = onHeap ? heapFloats(backend, softmax, batch * classes) : Float32Array.from(backend.readSync(softmax.dataId));
  let total = 0;
  for (let b = 0, row = 0; b < batch; b++, row += classes) {
    let [largest, targets] = [row, 0];
    for (let c = row; c < row + classes; c++) {
      if (z[c]! > z[largest]!) largest = c;
      targets += y[c]!;
    }
    const shift = Math.log(p[largest]!) - z[largest]!;
    for (let c = row; c < row + classes; c++) {
      if (y[c] !== 0) total -= y[c]! * (z[c]! + shift);
      p[c] = (p[c]! * targets - y[c]!) / batch;
    }
  }
  const mean = Float32Array.of(total / batch);
  if (!onHeap) {
    backend.disposeData(softmax.dataId);
    return [backend.makeTensorInfo!([], "float32", mean), backend.makeTensorInfo!([batch, classes], "float32", p)];
  }
  const loss = backend.makeOutput!([], "float32");
  heapFloats(backend, loss, 1).set(mean);
  return [loss, softmax];
}

for (const backendName of BACKENDS)
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend }: { inputs: NamedTensorInfoMap; backend: unknown }) => softmaxCrossEntropyKernel(backend as KernelBackend, inputs.logits!, inputs.rows!),
  });

type SaveFunction = (tensors: Tensor[]) => void;

/**
 * The mean over the batch of −Σ rows · logSoftmax(logits), and its gradient
 * by the logits (the rows, targets, get none), in one kernel; undefined
 * where that kernel cannot run on the current backend.
 * @throws Error when the shapes differ.
 */
export function fusedSoftmaxCrossEntropy(logits: Tensor2D, rows: Tensor2D): Scalar | undefined {
  if (!(BACKENDS as readonly string[]).includes(tf.getBackend())) return undefined;
  if (logits.shape.join() !== rows.shape.join()) throw new Error(`softmax cross-entropy: logits [${logits.shape}] and targets [${rows.shape}] differ in shape`);
  // The kernel reads the targets as numbers whatever their type (one-hot rows are int32): no cast op.
  const targets = rows.dtype === "float32" || rows.dtype === "int32" ? rows : tf.cast(rows, "float32");
  const op = tf.customGrad((z, save) => {
    const [loss, gradient] = tf.engine().runKernel(KERNEL, { logits: z as Tensor, rows: targets }) as Tensor[];
    (save as SaveFunction)([gradient!]);
    return { value: loss!, gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => tf.mul(saved[0]!, dy as Tensor) };
  });
  return op(logits) as Scalar;
}
