/**
 * The parameters of a recurrent stack, stored once per layer: input weight
 * [inputs, gates · hidden], hidden weight [hidden, gates · hidden], bias
 * [gates · hidden], and the two weights' 0/1 masks (non-trainable float32
 * variables in the weights' shapes). Weights under a 0 are stored as 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Variable } from "@tensorflow/tfjs-core";
import { decodeMask, FULL_MASK } from "../masks/codec.js";
import { createRandom } from "../random.js";
import type { RecurrentSpec } from "../spec.js";
import { recurrentLayerShapes, recurrentNames } from "./shapes.js";
import { variableMaker } from "../storage/variables.js";

export interface RecurrentLayerStore {
  readonly name: string;
  readonly inputs: number;
  readonly hidden: number;
  readonly gates: number;
  readonly inputWeight: Variable<tf.Rank.R2>;
  readonly hiddenWeight: Variable<tf.Rank.R2>;
  readonly bias: Variable<tf.Rank.R1>;
  readonly inputMask: Variable<tf.Rank.R2>;
  readonly hiddenMask: Variable<tf.Rank.R2>;
}

export interface RecurrentStore {
  readonly spec: RecurrentSpec;
  readonly steps: number;
  readonly layers: readonly RecurrentLayerStore[];
}

/** Offsets each recurrent layer's seed past the dense and conv kernels' streams. */
const RECURRENT_SEED_BASE = 1 << 21;

function liveOf(encoded: string | undefined, size: number): Uint8Array {
  return encoded === undefined || encoded === FULL_MASK ? new Uint8Array(size).fill(1) : decodeMask(encoded, size);
}

/**
 * PyTorch's initialisation, uniform in ±1/√hidden, drawn from the layer's own
 * seeded stream; an lstm's forget-gate bias starts at 1 so early gradients
 * pass through the cell over long sequences.
 */
function initial(seed: number, layer: number, size: number, live: Uint8Array | undefined, hidden: number): Float32Array {
  const random = createRandom(seed * 7919 + RECURRENT_SEED_BASE + layer);
  const limit = 1 / Math.sqrt(hidden);
  const values = new Float32Array(size);
  for (let k = 0; k < size; k++) values[k] = random.uniform(-limit, limit) * (live === undefined ? 1 : live[k]!);
  return values;
}

/** Stores for the stack over inputs [steps, features]; `seed` as the network's. */
export function createRecurrentStore(spec: RecurrentSpec, inputShape: readonly number[], seed: number): RecurrentStore {
  const [steps, features] = [inputShape[0]!, inputShape[1]!];
  const names = recurrentNames(spec);
  const { made, variable } = variableMaker();
  try {
    const layers = recurrentLayerShapes(spec, features).map(({ inputs, hidden, gates }, i): RecurrentLayerStore => {
      const width = gates * hidden;
      const inputLive = liveOf(spec.masks?.[i]?.input, inputs * width);
      const hiddenLive = liveOf(spec.masks?.[i]?.hidden, hidden * width);
      const bias = initial(seed, 3 * i + 2, width, undefined, hidden);
      if (spec.kind === "lstm") bias.fill(1, hidden, 2 * hidden);
      return {
        name: names[i]!,
        inputs,
        hidden,
        gates,
        inputWeight: variable(initial(seed, 3 * i, inputs * width, inputLive, hidden), [inputs, width], true),
        hiddenWeight: variable(initial(seed, 3 * i + 1, hidden * width, hiddenLive, hidden), [hidden, width], true),
        bias: variable(bias, [width], true),
        inputMask: variable(Float32Array.from(inputLive), [inputs, width], false),
        hiddenMask: variable(Float32Array.from(hiddenLive), [hidden, width], false),
      };
    });
    return { spec, steps, layers };
  } catch (error) {
    tf.dispose(made);
    throw error;
  }
}

/** Trainable variables, named `${layer}.inputWeight`, `.hiddenWeight`, `.bias`. */
export function recurrentParameters(store: RecurrentStore | undefined): { name: string; variable: Variable }[] {
  return (store?.layers ?? []).flatMap((l) => [
    { name: `${l.name}.inputWeight`, variable: l.inputWeight as Variable },
    { name: `${l.name}.hiddenWeight`, variable: l.hiddenWeight as Variable },
    { name: `${l.name}.bias`, variable: l.bias as Variable },
  ]);
}

/** The masked weights as blocks `${layer}.input` and `${layer}.hidden`: what getMask and setMask name. */
export function recurrentBlocks(store: RecurrentStore | undefined): { name: string; weight: Variable<tf.Rank.R2>; mask: Variable<tf.Rank.R2> }[] {
  return (store?.layers ?? []).flatMap((l) => [
    { name: `${l.name}.input`, weight: l.inputWeight, mask: l.inputMask },
    { name: `${l.name}.hidden`, weight: l.hiddenWeight, mask: l.hiddenMask },
  ]);
}

/** Replaces a mask (entries checked to be 0 or 1) and zeroes the weights it switches off, so pruned weights are 0 in storage too. */
export function setRecurrentMask(block: { weight: Variable<tf.Rank.R2>; mask: Variable<tf.Rank.R2> }, mask: ArrayLike<number>): void {
  tf.tidy(() => {
    const values = tf.tensor2d(Float32Array.from(mask), block.mask.shape, "float32");
    block.mask.assign(values);
    block.weight.assign(tf.mul(block.weight, values));
  });
}

export function disposeRecurrentStore(store: RecurrentStore | undefined): void {
  for (const l of store?.layers ?? []) tf.dispose([l.inputWeight, l.hiddenWeight, l.bias, l.inputMask, l.hiddenMask]);
}
