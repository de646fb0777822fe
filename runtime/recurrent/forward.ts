/**
 * The recurrent stack's forward pass, batch first. Per layer the input
 * product of every step and gate is one matMul over [batch · steps, inputs];
 * each step then adds one product of the hidden state with the hidden weight
 * [hidden, gates · hidden], all gates at once. Weights enter masked
 * (weight ⊙ mask), so a masked weight's gradient is exactly 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor3D } from "@tensorflow/tfjs-core";
import type { RecurrentKind } from "../spec.js";
import type { RecurrentLayerStore, RecurrentStore } from "./store.js";

interface StepState {
  readonly h: Tensor2D;
  /** The lstm's cell; absent for rnn and gru. */
  readonly c?: Tensor2D;
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

/** One layer over `x` [batch, steps, inputs]: every step's hidden state [batch, steps, hidden]. */
export function recurrentLayer(x: Tensor3D, layer: RecurrentLayerStore, kind: RecurrentKind, activation: "tanh" | "relu"): Tensor3D {
  const [batch, steps, inputs] = x.shape;
  const width = layer.gates * layer.hidden;
  const w = tf.mul(layer.inputWeight, layer.inputMask) as Tensor2D;
  const u = tf.mul(layer.hiddenWeight, layer.hiddenMask) as Tensor2D;
  const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [batch * steps, inputs]), w), layer.bias), [batch, steps, width]) as Tensor3D;
  const perStep = tf.unstack(xw, 1) as Tensor2D[];
  const step = stepOf(kind, activation);
  const zeros = tf.zeros([batch, layer.hidden]) as Tensor2D;
  let state: StepState = kind === "lstm" ? { h: zeros, c: zeros } : { h: zeros };
  const outputs: Tensor2D[] = [];
  for (const xt of perStep) {
    state = step(xt, state, u);
    outputs.push(state.h);
  }
  return tf.stack(outputs, 1) as Tensor3D;
}

/**
 * Layer 0 of the network for `x` [batch, steps · features] (the flattened
 * input): the last layer's hidden state at the last step [batch, hidden], or
 * at every step [batch, steps · hidden]. Runs inside the caller's `tf.tidy`.
 */
export function recurrentForward(store: RecurrentStore, x: Tensor2D): Tensor2D {
  const { spec, steps } = store;
  const batch = x.shape[0];
  let sequence = tf.reshape(x, [batch, steps, x.shape[1] / steps]) as Tensor3D;
  for (const layer of store.layers) sequence = recurrentLayer(sequence, layer, spec.kind, spec.activation);
  const hidden = sequence.shape[2];
  if (spec.output === "all") return tf.reshape(sequence, [batch, steps * hidden]);
  return tf.reshape(tf.slice(sequence, [0, steps - 1, 0], [batch, 1, hidden]), [batch, hidden]);
}
