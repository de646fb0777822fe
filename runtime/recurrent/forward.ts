/**
 * The recurrent stack's forward pass, batch first. Per layer the input
 * product of every step and gate is one matMul over [batch · steps, inputs];
 * each step then adds one product of the hidden state with the hidden weight
 * [hidden, gates · hidden], all gates at once. Weights enter masked
 * (weight ⊙ mask), so a masked weight's gradient is exactly 0 — except under
 * `denseWeightGradient`, where the gradient passes the mask unmasked (what
 * RigL ranks where to regrow by; the forward is the same).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor3D } from "@tensorflow/tfjs-core";
import type { RecurrentKind } from "../spec.js";
import type { RecurrentLayerStore, RecurrentStore } from "./store.js";
import { effectiveMask, type LearnedMasks } from "../masks/learned.js";

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

function maskedWeight(weight: Tensor2D, mask: Tensor2D, denseWeightGradient: boolean): Tensor2D {
  return (denseWeightGradient ? unmaskedGradient(weight, mask) : tf.mul(weight, mask)) as Tensor2D;
}

export interface RecurrentOptions {
  /** The weights' gradients at every entry, masked ones too (Model.denseWeightGradients). */
  readonly denseWeightGradient?: boolean;
  /** Weights whose masks learn (`lstm1.input`, `lstm1.hidden`; masks/learned.ts): their masks get a gradient through weight ⊙ mask. */
  readonly learned?: LearnedMasks;
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

/**
 * One layer over `x` [batch, steps, inputs]: every step's hidden state
 * [batch, steps, hidden] and the state after the last step. With `real` (per
 * step [batch, 1], 1 real, 0 padding) a padding step leaves the state as it
 * was and outputs zeros, so `final` is each sample's last real step's.
 */
export function recurrentLayer(
  x: Tensor3D,
  layer: RecurrentLayerStore,
  kind: RecurrentKind,
  activation: "tanh" | "relu",
  real?: readonly Tensor2D[],
  options: RecurrentOptions = {},
): { sequence: Tensor3D; final: Tensor2D } {
  const [batch, steps, inputs] = x.shape;
  const width = layer.gates * layer.hidden;
  const dense = options.denseWeightGradient === true;
  const w = maskedWeight(layer.inputWeight, effectiveMask(layer.inputMask, options.learned?.get(`${layer.name}.input`)), dense);
  const u = maskedWeight(layer.hiddenWeight, effectiveMask(layer.hiddenMask, options.learned?.get(`${layer.name}.hidden`)), dense);
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

/** The input [batch, steps, features] split into what the layers read and, with `padded`, each step's real flag [batch, 1] (last feature above 0.5). */
function splitFlags(sequence: Tensor3D, padded: boolean): { values: Tensor3D; real?: Tensor2D[] } {
  if (!padded) return { values: sequence };
  const [batch, steps, features] = sequence.shape;
  const values = tf.slice(sequence, [0, 0, 0], [batch, steps, features - 1]) as Tensor3D;
  // step(), not greater(): it has a (zero) gradient, so a gradient to the input passes the flags by.
  const flags = tf.step(tf.sub(tf.reshape(tf.slice(sequence, [0, 0, features - 1], [batch, steps, 1]), [batch, steps]), 0.5));
  return { values, real: (tf.unstack(flags, 1) as tf.Tensor1D[]).map((f) => tf.reshape(f, [batch, 1]) as Tensor2D) };
}

/**
 * Layer 0 of the network for `x` [batch, steps · features] (the flattened
 * input): the last layer's hidden state at the last step [batch, hidden], or
 * at every step [batch, steps · hidden]. Runs inside the caller's `tf.tidy`.
 */
export function recurrentForward(store: RecurrentStore, x: Tensor2D, options: RecurrentOptions = {}): Tensor2D {
  const { spec, steps } = store;
  const batch = x.shape[0];
  const split = splitFlags(tf.reshape(x, [batch, steps, x.shape[1] / steps]) as Tensor3D, spec.padded === true);
  let sequence = split.values;
  let final: Tensor2D | undefined;
  for (const layer of store.layers) ({ sequence, final } = recurrentLayer(sequence, layer, spec.kind, spec.activation, split.real, options));
  return spec.output === "all" ? tf.reshape(sequence, [batch, steps * sequence.shape[2]]) : final!;
}
