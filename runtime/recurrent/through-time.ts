/**
 * A recurrent layer over a whole sequence as one op with a hand-written
 * gradient through time (tf.customGrad). TensorFlow.js's stock gradient of
 * the per-step product h·U takes matMul's transposed forms, each many times
 * slower on WASM than the plain product (DESIGN.md); here the backward runs
 * each step's dz · Uᵀ against Uᵀ transposed once, and the weights' gradients
 * as single products over all steps at the end: Xᵀ · dZ and Hᵀ · dZ over
 * [batch · steps] rows (natively, with the transposes inside BLAS, where the
 * addon runs).
 *
 * The op works time-major, [steps, batch, …], so that a step is a contiguous
 * slice (unstacking batch-major [batch, steps, …] per step cost more than the
 * step's product on WASM). Its output is [steps + 1, batch, hidden]: every
 * step's output (zeros at padding steps), then the state after the last
 * step, so one tensor carries both and a slice of it has the stock gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs-core";
import { splitEqually } from "../kernels/heap-split.js";
import { denseProduct } from "../kernels/native/index.js";
import { cellOf, type Cell, type CellState } from "./cells.js";
import { hiddenProduct, type HiddenProduct } from "./hidden-product.js";

export interface ThroughTimeInput {
  /** Time-major [steps, batch, inputs]: each step's rows contiguous, so a step is a plain slice. */
  readonly x: Tensor3D;
  /** The masked input weight [inputs, gates · hidden]. */
  readonly w: Tensor2D;
  /** The masked hidden weight [hidden, gates · hidden]. */
  readonly u: Tensor2D;
  readonly bias: Tensor1D;
  /** [steps, batch, 1]: 1 at a real step, 0 at padding; absent when every step is real. */
  readonly real?: Tensor3D;
  /** U's live entries (row-major) when the hidden product runs sparse (hidden-product.ts). */
  readonly hiddenEntries?: Int32Array;
}

/** What the forward keeps per step for the backward: the state before it and the cell's own. */
interface StepRecord {
  readonly previous: CellState;
  readonly saved: Tensor2D[];
}

/** A padding step keeps the state: `real` [batch, 1] is 1 where the step is real. */
function hold(next: CellState, previous: CellState, real: Tensor2D): CellState {
  const keep = (a: Tensor2D, b: Tensor2D): Tensor2D => tf.add(b, tf.mul(real, tf.sub(a, b)));
  return { h: keep(next.h, previous.h), ...(next.c !== undefined ? { c: keep(next.c, previous.c!) } : {}) };
}

function runForward(
  cell: Cell,
  isLstm: boolean,
  { x, w, bias }: ThroughTimeInput,
  { times }: HiddenProduct,
  real: readonly Tensor2D[] | undefined,
): { outputs: Tensor2D[]; final: Tensor2D; records: StepRecord[] } {
  const [steps, batch, inputs] = x.shape;
  const hidden = w.shape[1] / cell.gates;
  const xw = denseProduct(tf.reshape(x, [steps * batch, inputs]) as Tensor2D, w, { bias });
  const zeros = tf.zeros([batch, hidden]) as Tensor2D;
  let state: CellState = isLstm ? { h: zeros, c: zeros } : { h: zeros };
  const outputs: Tensor2D[] = [];
  const records: StepRecord[] = [];
  splitEqually(xw, steps, 0).forEach((xt, t) => {
    const { next, saved } = cell.forward(xt, state, times);
    records.push({ previous: state, saved });
    const flag = real?.[t];
    state = flag === undefined ? next : hold(next, state, flag);
    outputs.push(flag === undefined ? state.h : (tf.mul(state.h, flag) as Tensor2D));
  });
  return { outputs, final: state.h, records };
}

/** The saved tensors as one list (what customGrad's `save` keeps) and back. */
function flatten(records: readonly StepRecord[]): Tensor[] {
  return records.flatMap((r) => [r.previous.h, ...(r.previous.c !== undefined ? [r.previous.c] : []), ...r.saved]);
}

function unflatten(saved: readonly Tensor[], steps: number, isLstm: boolean): StepRecord[] {
  const per = saved.length / steps;
  return Array.from({ length: steps }, (_, t) => {
    const part = saved.slice(t * per, (t + 1) * per) as Tensor2D[];
    const previous = isLstm ? { h: part[0]!, c: part[1]! } : { h: part[0]! };
    return { previous, saved: part.slice(isLstm ? 2 : 1) };
  });
}

interface Backward {
  readonly dInputs: Tensor2D[];
  readonly dHiddens: Tensor2D[];
}

/** Back through the steps from the last: each step's pre-activation gradients, input side and hidden side. */
function runBackward(cell: Cell, records: readonly StepRecord[], { timesTransposed }: HiddenProduct, dy: Tensor3D, real: readonly Tensor2D[] | undefined): Backward {
  const steps = records.length;
  const perStep = splitEqually(tf.reshape(dy, [(steps + 1) * dy.shape[1], dy.shape[2]]) as Tensor2D, steps + 1, 0);
  let dh = perStep[steps]!;
  let dc = records[0]!.previous.c === undefined ? undefined : (tf.zerosLike(dh) as Tensor2D);
  const dInputs: Tensor2D[] = new Array<Tensor2D>(steps);
  const dHiddens: Tensor2D[] = new Array<Tensor2D>(steps);
  for (let t = steps - 1; t >= 0; t--) {
    const flag = real?.[t];
    const total = tf.add(dh, flag === undefined ? perStep[t]! : tf.mul(perStep[t]!, flag)) as Tensor2D;
    // At a padding step the gradient passes to the previous state untouched, and none enters the cell.
    const into = (g: Tensor2D): Tensor2D => (flag === undefined ? g : tf.mul(g, flag));
    const past = (g: Tensor2D): Tensor2D | undefined => (flag === undefined ? undefined : tf.sub(g, tf.mul(g, flag)));
    const step = cell.backward(records[t]!.saved, records[t]!.previous, { dh: into(total), ...(dc !== undefined ? { dc: into(dc) } : {}) });
    dInputs[t] = step.dInput;
    dHiddens[t] = step.dHidden;
    if (t === 0) break;
    const parts = [timesTransposed(step.dHidden), step.dhDirect, past(total)].filter((p): p is Tensor2D => p !== undefined);
    dh = parts.length === 1 ? parts[0]! : (tf.addN(parts) as Tensor2D);
    if (dc !== undefined) dc = flag === undefined ? step.dc! : (tf.add(step.dc!, past(dc)!) as Tensor2D);
  }
  return { dInputs, dHiddens };
}

/** Rows [steps · batch, width] of per-step [batch, width] tensors, time-major as x is: one contiguous concat. */
const rows = (perStep: readonly Tensor2D[]): Tensor2D => tf.concat(perStep as Tensor2D[], 0);

function weightGradients(input: ThroughTimeInput, records: readonly StepRecord[], back: Backward): Tensor[] {
  const [steps, batch, inputs] = input.x.shape;
  const dInput = rows(back.dInputs);
  const dHidden = back.dHiddens.every((d, t) => d === back.dInputs[t]) ? dInput : rows(back.dHiddens);
  const dx = tf.reshape(denseProduct(dInput, input.w, { transposeB: true }), [steps, batch, inputs]);
  const dw = denseProduct(tf.reshape(input.x, [steps * batch, inputs]) as Tensor2D, dInput, { transposeA: true });
  const du = denseProduct(rows(records.map((r) => r.previous.h)), dHidden, { transposeA: true });
  const grads: Tensor[] = [dx, dw, du, tf.sum(dInput, 0)];
  return input.real === undefined ? grads : [...grads, tf.zerosLike(input.real)];
}

/** Time-major [steps + 1, batch, hidden]: every step's output, then the final state; gradients through time by hand. */
export function throughTime(input: ThroughTimeInput, kind: "rnn" | "gru" | "lstm", activation: "tanh" | "relu"): Tensor3D {
  const cell = cellOf(kind, activation);
  const isLstm = kind === "lstm";
  const steps = input.x.shape[0];
  const split = (real: Tensor3D | undefined): Tensor2D[] | undefined => (real === undefined ? undefined : splitEqually(tf.reshape(real, [-1, 1]) as Tensor2D, steps, 0));
  const padded = input.real !== undefined;
  const tensors: Tensor[] = [input.x, input.w, input.u, input.bias, ...(padded ? [input.real!] : [])];
  // The op's inputs in the order above, from its arguments or from what it saved.
  const inputOf = (list: readonly Tensor[]): ThroughTimeInput => {
    const [x, w, u, bias, real] = list as [Tensor3D, Tensor2D, Tensor2D, Tensor1D, Tensor3D];
    return { x, w, u, bias, ...(padded ? { real } : {}) };
  };
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const given = inputOf(args as Tensor[]);
    const { outputs, final, records } = runForward(cell, isLstm, given, hiddenProduct(given.u, input.hiddenEntries), split(given.real));
    // The inputs are saved too: they may be intermediates of the caller's tidy, gone by the time the gradient runs.
    save([...(args as Tensor[]), ...flatten(records)]);
    return {
      value: tf.stack([...outputs, final]) as Tensor3D,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const kept = inputOf(saved);
        const records = unflatten(saved.slice(tensors.length), steps, isLstm);
        const back = runBackward(cell, records, hiddenProduct(kept.u, input.hiddenEntries), dy as Tensor3D, split(kept.real));
        return weightGradients(kept, records, back);
      },
    };
  });
  return op(...tensors) as Tensor3D;
}
