/**
 * The recurrent stack's forward pass, batch first in and out. Per layer the
 * input product of every step and gate is one product over [batch · steps,
 * inputs]; each step then adds one product of the hidden state with the
 * hidden weight [hidden, gates · hidden], all gates at once. Weights enter
 * masked (weight ⊙ mask), once per pass, so a masked weight's gradient is
 * exactly 0 — except under `denseWeightGradient`, where the gradient passes
 * the mask unmasked (what RigL ranks where to regrow by; the forward is the
 * same). A learned mask (masks/learned.ts) enters as the mask, and gets its
 * gradient through weight ⊙ mask.
 *
 * By default each layer is one op with a hand-written gradient through time
 * (through-time.ts, time-major inside); `useStockRecurrentGradient(true)`
 * runs the same equations as TensorFlow.js ops per step with their stock
 * gradient, the reference the tests hold the op to.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor3D } from "@tensorflow/tfjs-core";
import type { RecurrentKind } from "../spec.js";
import type { RecurrentLayerStore, RecurrentStore } from "./store.js";
import { sparseHiddenEntries } from "./hidden-product.js";
import { sliceRows } from "../kernels/heap-split.js";
import { throughTime } from "./through-time.js";
import { effectiveMask, type LearnedMasks } from "../masks/learned.js";

let stockGradient = false;

/**
 * Runs the layers as TensorFlow.js ops per step with its stock gradient (true)
 * or as one op per layer with the hand-written gradient through time (false,
 * the default): for comparing the two in one process.
 */
export function useStockRecurrentGradient(on: boolean): void {
  stockGradient = on;
}

interface StepState {
  readonly h: Tensor2D;
  /** The lstm's cell; absent for rnn and gru. */
  readonly c?: Tensor2D;
}

/** w ⊙ m whose gradient for w is the product's own gradient at every entry, masked ones too. */
const unmaskedGradient = tf.customGrad((w, m, save) => {
  void save;
  return { value: tf.mul(w as Tensor2D, m as Tensor2D), gradFunc: (dy: tf.Tensor) => [dy, tf.zerosLike(m as Tensor2D)] };
});

export interface RecurrentOptions {
  /** The weights' gradients at every entry, masked ones too (Model.denseWeightGradients). */
  readonly denseWeightGradient?: boolean;
  /** Weights whose masks learn (`lstm1.input`, `lstm1.hidden`; masks/learned.ts): their masks get a gradient through weight ⊙ mask. */
  readonly learned?: LearnedMasks;
}

/** A layer's input and hidden weights as they enter the products: masked by the static or learned mask, once per pass. */
function maskedWeights(layer: RecurrentLayerStore, options: RecurrentOptions): { w: Tensor2D; u: Tensor2D } {
  const masked = (weight: Tensor2D, mask: Tensor2D, name: string): Tensor2D => {
    const m = effectiveMask(mask, options.learned?.get(`${layer.name}.${name}`));
    return (options.denseWeightGradient === true ? unmaskedGradient(weight, m) : tf.mul(weight, m)) as Tensor2D;
  };
  return { w: masked(layer.inputWeight, layer.inputMask, "input"), u: masked(layer.hiddenWeight, layer.hiddenMask, "hidden") };
}

type Gates = (xt: Tensor2D, state: StepState, u: Tensor2D) => StepState;

function gateSlices(z: Tensor2D, count: number): Tensor2D[] {
  return tf.split(z, count, 1) as Tensor2D[];
}

/** One step of each kind: `xt` holds the step's input products plus bias for every gate. */
function stepOf(kind: RecurrentKind, activation: "tanh" | "relu"): Gates {
  if (kind === "rnn") return (xt, { h }, u) => ({ h: (activation === "relu" ? tf.relu : tf.tanh)(tf.add(xt, tf.matMul(h, u))) });
  if (kind === "lstm") {
    return (xt, { h, c }, u) => {
      const [i, f, g, o] = gateSlices(tf.add(xt, tf.matMul(h, u)), 4);
      const cell = tf.add(tf.mul(tf.sigmoid(f!), c!), tf.mul(tf.sigmoid(i!), tf.tanh(g!))) as Tensor2D;
      return { h: tf.mul(tf.sigmoid(o!), tf.tanh(cell)), c: cell };
    };
  }
  // gru: the candidate sees the reset gate times the hidden product (reset after the product, as cuDNN and Keras).
  return (xt, { h }, u) => {
    const [xr, xz, xn] = gateSlices(xt, 3);
    const [hr, hz, hn] = gateSlices(tf.matMul(h, u), 3);
    const r = tf.sigmoid(tf.add(xr!, hr!));
    const z = tf.sigmoid(tf.add(xz!, hz!));
    const n = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
    return { h: tf.add(n, tf.mul(z, tf.sub(h, n))) };
  };
}

/** A padding step keeps the state: `real` [batch, 1] is 1 where the step is real, 0 where it is padding. */
function holdOnPadding(next: StepState, previous: StepState, real: Tensor2D): StepState {
  const keep = (a: Tensor2D, b: Tensor2D): Tensor2D => tf.add(b, tf.mul(real, tf.sub(a, b)));
  return { h: keep(next.h, previous.h), ...(next.c !== undefined ? { c: keep(next.c, previous.c!) } : {}) };
}

/** The layer as TensorFlow.js ops per step, for its stock gradient. */
function stockLayer(
  x: Tensor3D,
  layer: RecurrentLayerStore,
  kind: RecurrentKind,
  activation: "tanh" | "relu",
  flags: Tensor2D | undefined,
  options: RecurrentOptions,
): { sequence: Tensor3D; final: Tensor2D } {
  const [batch, steps, inputs] = x.shape;
  const { w, u } = maskedWeights(layer, options);
  const width = layer.gates * layer.hidden;
  const real = flags === undefined ? undefined : (tf.split(flags, steps, 1) as Tensor2D[]);
  const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [batch * steps, inputs]), w), layer.bias), [batch, steps, width]) as Tensor3D;
  const perStep = tf.unstack(xw, 1) as Tensor2D[];
  const step = stepOf(kind, activation);
  const zeros = tf.zeros([batch, layer.hidden]) as Tensor2D;
  let state: StepState = kind === "lstm" ? { h: zeros, c: zeros } : { h: zeros };
  const outputs: Tensor2D[] = [];
  perStep.forEach((xt, t) => {
    const next = step(xt, state, u);
    const flag = real?.[t];
    state = flag === undefined ? next : holdOnPadding(next, state, flag);
    outputs.push(flag === undefined ? state.h : tf.mul(state.h, flag));
  });
  return { sequence: tf.stack(outputs, 1) as Tensor3D, final: state.h };
}

/** The input [batch, steps, features] split into what the layers read and, with `padded`, the steps' real flags [batch, steps] (last feature above 0.5). */
function splitFlags(sequence: Tensor3D, padded: boolean): { values: Tensor3D; real?: Tensor2D } {
  if (!padded) return { values: sequence };
  const [batch, steps, features] = sequence.shape;
  const values = tf.slice(sequence, [0, 0, 0], [batch, steps, features - 1]) as Tensor3D;
  // step(), not greater(): it has a (zero) gradient, so a gradient to the input passes the flags by.
  const flags = tf.step(tf.sub(tf.reshape(tf.slice(sequence, [0, 0, features - 1], [batch, steps, 1]), [batch, steps]), 0.5));
  return { values, real: flags as Tensor2D };
}

/** The last layer's every step [batch, steps, hidden], made only when asked for, and its final state [batch, hidden]. */
interface StackOutput {
  readonly sequence: () => Tensor3D;
  readonly final: Tensor2D;
}

/** The stack batch-major as TensorFlow.js ops per step. */
function stockStack(store: RecurrentStore, values: Tensor3D, flags: Tensor2D | undefined, options: RecurrentOptions): StackOutput {
  let sequence = values;
  let final: Tensor2D | undefined;
  for (const layer of store.layers) ({ sequence, final } = stockLayer(sequence, layer, store.spec.kind, store.spec.activation, flags, options));
  return { sequence: () => sequence, final: final! };
}

/** The stack time-major, one op per layer with the hand-written gradient through time; in and out batch-major. Weights enter masked once per pass. */
function throughTimeStack(store: RecurrentStore, values: Tensor3D, flags: Tensor2D | undefined, options: RecurrentOptions): StackOutput {
  const [batch, steps] = values.shape;
  const real = flags === undefined ? undefined : (tf.reshape(tf.transpose(flags), [steps, batch, 1]) as Tensor3D);
  let x = tf.transpose(values, [1, 0, 2]) as Tensor3D;
  let final: Tensor2D | undefined;
  for (const layer of store.layers) {
    const { w, u } = maskedWeights(layer, options);
    // The static mask's live entries hold a learned mask's too: u is 0 wherever either is.
    const hiddenEntries = sparseHiddenEntries(layer);
    const input = { x, w, u, bias: layer.bias, ...(real !== undefined ? { real } : {}), ...(hiddenEntries !== undefined ? { hiddenEntries } : {}) };
    const states = throughTime(input, store.spec.kind, store.spec.activation);
    // Row blocks on the heap: WASM's Slice would copy all of `states` out of the heap for each of the two.
    const rows = tf.reshape(states, [(steps + 1) * batch, layer.hidden]) as Tensor2D;
    x = tf.reshape(sliceRows(rows, 0, steps * batch), [steps, batch, layer.hidden]);
    final = sliceRows(rows, steps * batch, batch);
  }
  const sequence = x;
  return { sequence: () => tf.transpose(sequence, [1, 0, 2]), final: final! };
}

/**
 * Layer 0 of the network for `x` [batch, steps · features] (the flattened
 * input): the last layer's hidden state at the last step [batch, hidden], or
 * at every step [batch, steps · hidden]. Runs inside the caller's `tf.tidy`.
 */
export function recurrentForward(store: RecurrentStore, x: Tensor2D, options: RecurrentOptions = {}): Tensor2D {
  const { spec, steps } = store;
  const batch = x.shape[0];
  const { values, real } = splitFlags(tf.reshape(x, [batch, steps, x.shape[1] / steps]) as Tensor3D, spec.padded === true);
  const { sequence, final } = stockGradient ? stockStack(store, values, real, options) : throughTimeStack(store, values, real, options);
  if (spec.output !== "all") return final;
  const every = sequence();
  return tf.reshape(every, [batch, steps * every.shape[2]]);
}
