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
 *
 * A step's JavaScript does not grow with the number of tensors where it need
 * not: what the native call needs is kept between steps (fused-adam-plan.ts)
 * and only the gradients' offsets are written anew, the β powers are known
 * as numbers (read back only when something else set them), and native/adam.c
 * splits the elements over the addon's pool.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo, Variable } from "@tensorflow/tfjs-core";
import { nativeDenseBlas } from "./dense-product.js";
import type { NativeBlas } from "./load.js";
import { wasmHeap, type WasmBackendInternals } from "../backend-memory.js";
import { buildPlan, planFits, ROW, writeGradients, type AdamPlan, type AdamState, type HeapRecords, type VariableGradients } from "./fused-adam-plan.js";

const KERNEL = "DeepstructFusedAdam";

/** The kernel's attributes: the plan with this step's gradients written in, and the step's constants. */
interface AdamAttributes {
  readonly plan: AdamPlan;
  readonly constants: Float32Array;
}

/**
 * No tensor inputs (the plan's table holds every offset): outputs, for the slots not updated in place, every new
 * value, then every new first moment, then every new second moment. Where every slot is in place, none.
 */
function fusedAdamKernel(blas: NativeBlas, backend: KernelBackend, { plan, constants }: AdamAttributes): TensorInfo[] {
  const internals = backend as unknown as WasmBackendInternals;
  const outputs: TensorInfo[][] = [[], [], []];
  let table = plan.table;
  if (!plan.inPlace) {
    table = plan.table.slice();
    plan.slots.forEach((s, k) => {
      if (s.records.every((r) => r.refCount === 1)) return;
      const made = outputs.map((list) => {
        const info = internals.makeOutput([...s.tensors[0].shape], "float32");
        list.push(info);
        return internals.dataIdMap.get(info.dataId)!.memoryOffset >>> 0;
      });
      table.set(made, ROW * k + 5);
    });
  }
  // The view only after every output is allocated (wasmHeap).
  blas.adamUpdate!(new Float32Array(wasmHeap(internals)), table, constants);
  return outputs.flat();
}

/** Writes `value` over a float32 scalar's data on the WASM heap, where no other tensor shares it; false where it cannot. */
function writeScalarInPlace(scalar: Variable, value: number): boolean {
  if (scalar.size !== 1 || scalar.dtype !== "float32") return false;
  const internals = tf.backend() as unknown as Pick<WasmBackendInternals, "wasm"> & HeapRecords;
  const data = internals.dataIdMap.get(scalar.dataId);
  const memory = internals.wasm.asm?.memory ?? internals.wasm.wasmMemory;
  if (data === undefined || data.refCount !== 1 || memory === undefined) return false;
  new Float32Array(memory.buffer, data.memoryOffset >>> 0, 1)[0] = value;
  return true;
}

let registered = false;

function register(blas: NativeBlas): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "wasm",
    kernelFunc: ({ backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) =>
      fusedAdamKernel(blas, backend as KernelBackend, attrs as unknown as AdamAttributes),
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

/** β1^t and β2^t as the variables accBeta1 and accBeta2 hold them, and the data each was on when last read or written. */
interface KnownPowers {
  readonly dataIds: [object, object];
  readonly values: [number, number];
}

export class FusedAdam extends tf.AdamOptimizer {
  private plan: AdamPlan | undefined;
  private powers: KnownPowers | undefined;
  private readonly constants = new Float32Array(8);

  override applyGradients(variableGradients: VariableGradients): void {
    const blas = fusedBlas();
    if (blas === undefined) return super.applyGradients(variableGradients);
    register(blas);
    const state = this as unknown as AdamState;
    const backend = tf.backend() as unknown as HeapRecords;
    if (this.plan === undefined || !planFits(this.plan, backend, state, variableGradients)) this.plan = buildPlan(backend, state, variableGradients);
    const plan = this.plan;
    writeGradients(plan, backend, variableGradients);
    const [acc1, acc2] = this.knownPowers(state);
    // The scalars TensorFlow.js's ops would make, in float32: 1 − β^t from the float32 powers, the rest from the numbers.
    this.constants.set([this.beta1, this.beta2, 1 - this.beta1, 1 - this.beta2, Math.fround(1 - acc1), Math.fround(1 - acc2), this.epsilon, -this.learningRate]);
    tf.tidy(() => {
      if (plan.slots.length > 0) {
        const attrs: AdamAttributes = { plan, constants: this.constants };
        const made = tf.engine().runKernel(KERNEL, {}, attrs as unknown as NamedAttrMap) as Tensor[];
        if (!plan.inPlace) this.assignNew(plan, made);
      }
      this.advancePowers(state, acc1, acc2);
    });
    this.incrementIterations();
  }

  override dispose(): void {
    super.dispose();
    // What was kept points at the disposed moments and β powers.
    this.plan = undefined;
    this.powers = undefined;
  }

  /** Assigns the kernel's new tensors to the slots it did not update in place; the plan, built on the old data, goes. */
  private assignNew(plan: AdamPlan, made: Tensor[]): void {
    const copied = plan.slots.filter((s) => !s.records.every((r) => r.refCount === 1));
    const n = copied.length;
    copied.forEach(({ tensors: [value, m, v] }, k) => {
      value.assign(made[k]!);
      m.assign(made[n + k]!);
      v.assign(made[2 * n + k]!);
    });
    this.plan = undefined;
  }

  /** β1^t and β2^t: the numbers last written, unless something else (setWeights, a load) has set the variables since. */
  private knownPowers(state: AdamState): [number, number] {
    const { accBeta1, accBeta2 } = state;
    const known = this.powers;
    if (known !== undefined && known.dataIds[0] === accBeta1.dataId && known.dataIds[1] === accBeta2.dataId) return known.values;
    const values: [number, number] = [accBeta1.dataSync()[0]!, accBeta2.dataSync()[0]!];
    this.powers = { dataIds: [accBeta1.dataId, accBeta2.dataId], values };
    return values;
  }

  /**
   * The β powers times β, as TensorFlow.js's float32 multiply gives them: written in place where no other tensor shares
   * them (two ops and assigns fewer a step), and known from then on; else assigned, and read back at the next step.
   */
  private advancePowers(state: AdamState, acc1: number, acc2: number): void {
    const next: [number, number] = [Math.fround(acc1 * Math.fround(this.beta1)), Math.fround(acc2 * Math.fround(this.beta2))];
    const written = [state.accBeta1, state.accBeta2].map((power, i) => {
      if (writeScalarInPlace(power, next[i]!)) return true;
      power.assign(tf.mul(power, i === 0 ? this.beta1 : this.beta2));
      return false;
    });
    this.powers = written.every(Boolean) ? { dataIds: [state.accBeta1.dataId, state.accBeta2.dataId], values: next } : undefined;
  }
}

/** The runtime's Adam (training/optimizers.ts): a FusedAdam, which is TensorFlow.js's AdamOptimizer wherever the native part does not run. */
export function adamOptimizer(learningRate: number, beta1: number, beta2: number, epsilon: number): tf.AdamOptimizer {
  return new FusedAdam(learningRate, beta1, beta2, epsilon);
}
