/**
 * Adam in one op per step. TensorFlow.js's AdamOptimizer spends about ten
 * small ops on every parameter tensor (hundreds of tensors, thousands of ops
 * a step, each with its own dispatch and temporary); where the native part
 * is loaded and the backend is WASM, this one hands every tensor's value,
 * gradient and moments to native/adam.c in a single kernel call, which
 * writes the new values and moments. The arithmetic is TensorFlow.js's, op
 * by op in float32 (see adam.c), and the state — moments, β powers,
 * iterations — lives in the same variables, so saving, loading and
 * `getWeights` see an ordinary Adam optimizer. Elsewhere it is one.
 *
 * Two departures, both for pruned networks: a tensor whose value and moments
 * no other tensor shares data with (so no one can see the difference) is
 * updated in place rather than into new tensors; and the weight of a kernel
 * bound to run only its live connections (binding/live-edges.ts) has only
 * those entries updated — their gradient is zero elsewhere, and the
 * switched-off connections keep their value and moments where TensorFlow.js's
 * Adam would go on moving them by their old momentum. The outputs do not
 * depend on it (those connections are masked), and a step then costs what
 * the live connections cost.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo, Variable } from "@tensorflow/tfjs-core";
import { nativeDenseBlas } from "../kernels/native/dense-product.js";
import type { NativeBlas } from "../kernels/native/load.js";
import { liveEntries } from "../binding/live-edges.js";
import { heapOffset, wasmHeap, type WasmBackendInternals } from "../kernels/backend-memory.js";

const KERNEL = "DeepstructFusedAdam";

/** The optimizer's argument: a list of named gradients or a map of them (tfjs's NamedTensor[] | NamedTensorMap). */
type VariableGradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

/** The parts of AdamOptimizer kept private in its typings. */
interface AdamState {
  readonly accBeta1: Variable;
  readonly accBeta2: Variable;
  readonly accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  readonly accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
}

/** Per tensor (in input order): whether it is updated in place, and whether an entry list `e{k}` names the entries to update. */
interface AdamAttributes {
  readonly constants: number[];
  readonly inPlace: boolean[];
  readonly listed: boolean[];
}

/**
 * Inputs w0, g0, m0, v0, (e0,) w1, …: outputs, for the tensors not updated in
 * place, every new value, then every new first moment, then every new second moment.
 */
function fusedAdamKernel(blas: NativeBlas, backend: KernelBackend, inputs: NamedTensorInfoMap, a: AdamAttributes): TensorInfo[] {
  const internals = backend as unknown as WasmBackendInternals;
  const count = a.inPlace.length;
  const offset = (info: TensorInfo): number => heapOffset(internals, info)!;
  const outputs: TensorInfo[][] = [[], [], []];
  const table = new Uint32Array(ROW * count);
  for (let i = 0; i < count; i++) {
    const [w, m, v] = [inputs[`w${i}`]!, inputs[`m${i}`]!, inputs[`v${i}`]!];
    const made = a.inPlace[i]
      ? [w, m, v].map(offset)
      : outputs.map((list) => {
          const info = internals.makeOutput([...w.shape], "float32");
          list.push(info);
          return offset(info);
        });
    const size = w.shape.reduce((x, y) => x * y, 1);
    const entries = a.listed[i] ? inputs[`e${i}`]! : undefined;
    table.set([size, offset(w), offset(inputs[`g${i}`]!), offset(m), offset(v), ...made, entries ? offset(entries) : 0, entries?.shape[0] ?? 0], ROW * i);
  }
  // The view only after every output is allocated (wasmHeap).
  blas.adamUpdate!(new Float32Array(wasmHeap(internals)), table, Float32Array.from(a.constants));
  return outputs.flat();
}

/** Writes `value` over a float32 scalar's data on the WASM heap, where `alone` says no other tensor shares it; false where it cannot. */
function writeScalarInPlace(scalar: Variable, value: number, alone: (t: Tensor) => boolean): boolean {
  if (scalar.size !== 1 || scalar.dtype !== "float32" || !alone(scalar)) return false;
  const internals = tf.backend() as unknown as WasmBackendInternals;
  const data = internals.dataIdMap.get(scalar.dataId);
  const memory = internals.wasm.asm?.memory ?? internals.wasm.wasmMemory;
  if (data === undefined || memory === undefined) return false;
  new Float32Array(memory.buffer, data.memoryOffset >>> 0, 1)[0] = value;
  return true;
}

/** Words per tensor in adamUpdate's table (native/adam.c). */
const ROW = 10;

let registered = false;

function register(blas: NativeBlas): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
      fusedAdamKernel(blas, backend as KernelBackend, inputs, attrs as unknown as AdamAttributes),
  });
}

/** The native part's Adam, when it is loaded, on, and the backend is WASM (where its kernel runs). */
function fusedBlas(): NativeBlas | undefined {
  const blas = nativeDenseBlas();
  return blas?.adamUpdate !== undefined && tf.getBackend() === "wasm" ? blas : undefined;
}

/** Whether a FusedAdam step runs as one native op now (else as TensorFlow.js's AdamOptimizer). */
export function fusedAdamActive(): boolean {
  return fusedBlas() !== undefined;
}

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    const blas = fusedBlas();
    if (blas === undefined) return super.applyGradients(variableGradients);
    register(blas);
    const state = this as unknown as AdamState;
    const list = Array.isArray(variableGradients);
    const names = list ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const inputs: Record<string, Tensor> = {};
    const tensors: { value: Variable; m: Variable; v: Variable; inPlace: boolean; listed: boolean }[] = [];
    const backend = tf.backend() as unknown as { refCount(dataId: object): number };
    // A tensor no other tensor shares data with (the usual case after the first step) is updated in place.
    const alone = (t: Tensor): boolean => backend.refCount(t.dataId) === 1;
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      // The moments are made as AdamOptimizer makes them, so its getWeights and setWeights find them.
      state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const gradient = list ? variableGradients[i]!.tensor : variableGradients[name];
      if (gradient == null) return;
      const [m, v] = [state.accumulatedFirstMoment[i].variable, state.accumulatedSecondMoment[i].variable];
      const k = tensors.length;
      const entries = liveEntries(value);
      Object.assign(inputs, { [`w${k}`]: value, [`g${k}`]: gradient, [`m${k}`]: m, [`v${k}`]: v }, entries ? { [`e${k}`]: entries } : {});
      tensors.push({ value, m, v, inPlace: alone(value) && alone(m) && alone(v), listed: entries !== undefined });
    });
    const [acc1, acc2] = [state.accBeta1.dataSync()[0]!, state.accBeta2.dataSync()[0]!];
    // The scalars TensorFlow.js's ops would make, in float32: 1 − β^t from the float32 powers, the rest from the numbers.
    const constants = [this.beta1, this.beta2, 1 - this.beta1, 1 - this.beta2, Math.fround(1 - acc1), Math.fround(1 - acc2), this.epsilon, -this.learningRate];
    tf.tidy(() => {
      if (tensors.length > 0) {
        const attrs: AdamAttributes = { constants, inPlace: tensors.map((t) => t.inPlace), listed: tensors.map((t) => t.listed) };
        const made = tf.engine().runKernel(KERNEL, inputs, attrs as unknown as NamedAttrMap) as Tensor[];
        const copied = tensors.filter((t) => !t.inPlace);
        const n = copied.length;
        copied.forEach(({ value, m, v }, k) => {
          value.assign(made[k]!);
          m.assign(made[n + k]!);
          v.assign(made[2 * n + k]!);
        });
      }
      // The β powers times β, as TensorFlow.js's float32 multiply gives them: in place where no other tensor shares them (two ops and assigns fewer a step).
      for (const [power, beta, now] of [
        [state.accBeta1, this.beta1, acc1],
        [state.accBeta2, this.beta2, acc2],
      ] as const) {
        if (!writeScalarInPlace(power, Math.fround(now * Math.fround(beta)), alone)) power.assign(tf.mul(power, beta));
      }
    });
    this.incrementIterations();
  }
}
