/**
 * One time step of each recurrent kind, forward and by hand backward, for the
 * gradient through time (through-time.ts). The forward keeps what its
 * backward reads (the gates after their nonlinearities), so the backward
 * needs no transcendental function; gate order and formulas as forward.ts's.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { splitEqually } from "../kernels/heap-split.js";
import { lstmStepBackward, lstmStepBackwardAvailable } from "../kernels/lstm-backward.js";
import type { RecurrentKind } from "../spec.js";

export interface CellState {
  readonly h: Tensor2D;
  /** The lstm's cell; absent for rnn and gru. */
  readonly c?: Tensor2D;
}

/** What a step's backward gets: the carried gradients of the new state. */
export interface StateGradient {
  readonly dh: Tensor2D;
  readonly dc?: Tensor2D;
}

/** A step's backward: the gradients of its input-side and hidden-side pre-activations [batch, gates · hidden], and of the previous state except through the hidden product. */
export interface StepGradient {
  /** Of `xt` (the step's input product plus bias). */
  readonly dInput: Tensor2D;
  /** Of the hidden product h·U; the same tensor as dInput but for gru, whose candidate sees r ⊙ (h·U). */
  readonly dHidden: Tensor2D;
  /** Of the previous h, but for the part through h·U (dHidden · Uᵀ), which the caller adds. */
  readonly dhDirect?: Tensor2D;
  readonly dc?: Tensor2D;
}

export interface Cell {
  readonly gates: number;
  /** The new state from `xt` [batch, gates · hidden], the previous state and the hidden product (h ↦ h · U); `saved` is what `backward` reads. */
  forward(xt: Tensor2D, state: CellState, times: (h: Tensor2D) => Tensor2D): { next: CellState; saved: Tensor2D[] };
  backward(saved: readonly Tensor2D[], previous: CellState, gradient: StateGradient): StepGradient;
}

/**
 * tanh z, on WASM as 2σ(2z) − 1: WASM's Tanh measured 214 µs over [100, 100]
 * against 64 µs for these four ops (its Sigmoid is vectorised; least CPU time
 * of 15 interleaved runs of 31, load 2, 22:22 UTC), and an LSTM step takes
 * two. In the bench's network (15 interleaved runs, 22:23, load 3): native,
 * forward 16.54 → 15.43 ms, Adam step 47.19 → 41.23; WASM only, no change
 * (24.82 / 24.92, 76.11 / 78.36). Within 2.4e-7 of tanh: σ's float32
 * rounding, doubled.
 */
function tanh(z: Tensor2D): Tensor2D {
  return tf.getBackend() === "wasm" ? tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1) : tf.tanh(z);
}

/** σ′ from σ's value: s (1 − s). */
const sigmoidSlope = (s: Tensor2D): Tensor2D => tf.mul(s, tf.sub(1, s));
/** tanh′ from tanh's value: 1 − t². */
const tanhSlope = (t: Tensor2D): Tensor2D => tf.sub(1, tf.square(t));

function rnnCell(activation: "tanh" | "relu"): Cell {
  return {
    gates: 1,
    forward: (xt, { h }, times) => {
      const next = (activation === "relu" ? (z: Tensor2D) => tf.relu(z) as Tensor2D : tanh)(tf.add(xt, times(h)) as Tensor2D);
      return { next: { h: next }, saved: [next] };
    },
    backward: ([next], _previous, { dh }) => {
      const slope = activation === "relu" ? (tf.step(next!) as Tensor2D) : tanhSlope(next!);
      const dz = tf.mul(dh, slope) as Tensor2D;
      return { dInput: dz, dHidden: dz };
    },
  };
}

function lstmForward(xt: Tensor2D, { h, c }: CellState, times: (h: Tensor2D) => Tensor2D): { next: CellState; saved: Tensor2D[] } {
  const [zi, zf, zg, zo] = splitEqually(tf.add(xt, times(h)) as Tensor2D, 4, 1);
  const [i, f, g, o]: Tensor2D[] = [tf.sigmoid(zi!), tf.sigmoid(zf!), tanh(zg!), tf.sigmoid(zo!)];
  const cell = tf.add(tf.mul(f!, c!), tf.mul(i!, g!)) as Tensor2D;
  const squashed = tanh(cell);
  return { next: { h: tf.mul(o!, squashed), c: cell }, saved: [i!, f!, g!, o!, squashed] };
}

function lstmBackward([i, f, g, o, squashed]: readonly Tensor2D[], previous: CellState, { dh, dc }: StateGradient): StepGradient {
  if (lstmStepBackwardAvailable()) {
    const step = lstmStepBackward({ i: i!, f: f!, g: g!, o: o!, squashed: squashed!, previousCell: previous.c!, dh, dc: dc! });
    return { dInput: step.dz, dHidden: step.dz, dc: step.dc };
  }
  const dCell = tf.add(dc!, tf.mul(tf.mul(dh, o!), tanhSlope(squashed!))) as Tensor2D;
  const dz = tf.concat(
    [
      tf.mul(tf.mul(dCell, g!), sigmoidSlope(i!)),
      tf.mul(tf.mul(dCell, previous.c!), sigmoidSlope(f!)),
      tf.mul(tf.mul(dCell, i!), tanhSlope(g!)),
      tf.mul(tf.mul(dh, squashed!), sigmoidSlope(o!)),
    ],
    1,
  ) as Tensor2D;
  return { dInput: dz, dHidden: dz, dc: tf.mul(dCell, f!) };
}

function gruForward(xt: Tensor2D, { h }: CellState, times: (h: Tensor2D) => Tensor2D): { next: CellState; saved: Tensor2D[] } {
  const [xr, xz, xn] = splitEqually(xt, 3, 1);
  const [hr, hz, hn] = splitEqually(times(h) as Tensor2D, 3, 1);
  const r = tf.sigmoid(tf.add(xr!, hr!)) as Tensor2D;
  const z = tf.sigmoid(tf.add(xz!, hz!)) as Tensor2D;
  const n = tanh(tf.add(xn!, tf.mul(r, hn!)) as Tensor2D);
  return { next: { h: tf.add(n, tf.mul(z, tf.sub(h, n))) }, saved: [r, z, n, hn!] };
}

function gruBackward([r, z, n, hn]: readonly Tensor2D[], previous: CellState, { dh }: StateGradient): StepGradient {
  const dn = tf.mul(tf.mul(dh, tf.sub(1, z!)), tanhSlope(n!)) as Tensor2D;
  const dr = tf.mul(tf.mul(dn, hn!), sigmoidSlope(r!)) as Tensor2D;
  const dz = tf.mul(tf.mul(dh, tf.sub(previous.h, n!)), sigmoidSlope(z!)) as Tensor2D;
  return { dInput: tf.concat([dr, dz, dn], 1) as Tensor2D, dHidden: tf.concat([dr, dz, tf.mul(dn, r!)], 1) as Tensor2D, dhDirect: tf.mul(dh, z!) };
}

/** The cell of a kind; `activation` is the rnn's. */
export function cellOf(kind: RecurrentKind, activation: "tanh" | "relu"): Cell {
  if (kind === "rnn") return rnnCell(activation);
  return kind === "lstm" ? { gates: 4, forward: lstmForward, backward: lstmBackward } : { gates: 3, forward: gruForward, backward: gruBackward };
}
