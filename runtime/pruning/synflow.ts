/**
 * SynFlow (Tanaka et al. 2020, one round, data-free): saliency |w · ∂R/∂w|,
 * R the sum of the outputs of the network's |θ| version for one all-ones
 * input of the input shape. The |θ| network is the model's own structure with:
 *
 * - every prunable weight replaced by |w| under its mask (dense blocks, convs
 *   of the feature stack, the cells and the head, recurrent weights);
 * - no biases (conv and dense biases, batch-norm shifts) and no activation,
 *   so R is a sum over input-to-output paths of products of |w|, the paper's
 *   R = 1ᵀ(∏ |W|)1;
 * - batch norm in its inference mode with running statistics as identity
 *   (mean 0, variance 1 − ε, so it divides by 1) and its gain as |γ|: a
 *   channel's scale, kept, as the paper's code takes |θ| of every parameter;
 * - pooling as the network has it (max pooling routes the flow through each
 *   window's largest entry, average and global average pooling are linear);
 * - a recurrent layer as h_t = Σ_gates (x_t |W_in| + h_{t−1} |W_h|), h_0 = 0:
 *   its gates' sigmoid and tanh, and the products between gates, are
 *   dropped, so each gate carries flow as a linear rnn would. The output is
 *   the last step's state or every step's, as the network's; a padded
 *   network's every step is real.
 *
 * Computed in float32; a flow too large for it (deep or long recurrent
 * products) is refused with an error rather than ranked on infinities.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor3D, Variable } from "@tensorflow/tfjs-core";
import { cellForward } from "../cells/forward.js";
import { createCellStores, disposeCellStores, type CellStores } from "../cells/store.js";
import { featureForward, type FeatureOptions } from "../features/forward.js";
import { featureShapes, type ChannelsFirst } from "../features/shapes.js";
import { createFeatureStores, disposeFeatureStores, type FeatureStore } from "../features/store.js";
import type { Model } from "../model.js";

/** A front end of the |θ| network (feature layers and cells, or the recurrent stack): its |W| variables by weight name and its layer-0 values. */
interface Front {
  readonly variables: ReadonlyMap<string, Variable>;
  readonly forward: () => Tensor2D;
  readonly dispose: () => void;
}

function parameter(model: Model, name: string): Tensor {
  const found = model.parameters.find((p) => p.name === name);
  if (found === undefined) throw new Error(`${model.name}: synflow found no parameter '${name}'`);
  return found.variable;
}

/** |values| under `mask` (0/1 of the same size). */
function maskedMagnitude(values: Tensor, mask: Uint8Array): Tensor {
  return tf.tidy(() => tf.mul(tf.abs(values), tf.tensor(Float32Array.from(mask), values.shape, "float32")));
}

/** The stores of the model's feature layers and cells, made afresh and given the |θ| network's values. */
function convFront(model: Model): Front {
  const { spec } = model;
  const input = spec.inputShape as unknown as ChannelsFirst;
  const stem = createFeatureStores(spec.features ?? [], input, "linear", 0);
  let cells: CellStores | undefined;
  try {
    if (spec.cells !== undefined) {
      const shapes = featureShapes(input, spec.features ?? []);
      if (!("shapes" in shapes)) throw new Error(`${model.name}: synflow: the feature layers do not fit the input`);
      cells = createCellStores(spec.cells, shapes.shapes.at(-1)!, "linear", 0, stem.length);
    }
    const variables = new Map<string, Variable>();
    for (const store of [...stem, ...(cells?.all ?? [])]) linearize(model, store, variables);
    const options: FeatureOptions = { activation: "linear", training: false };
    const ones = (): Tensor2D => tf.ones([1, input.reduce((a, b) => a * b, 1)]);
    const forward = (): Tensor2D => (cells === undefined ? featureForward(stem, ones(), input, options) : cellForward(stem, cells, ones(), input, options));
    const dispose = (): void => {
      disposeFeatureStores(stem);
      disposeCellStores(cells);
    };
    return { variables, forward, dispose };
  } catch (error) {
    disposeFeatureStores(stem);
    disposeCellStores(cells);
    throw error;
  }
}

/** One store's |θ| values: a conv's |W| under its mask (its bias stays 0), a batch norm's |γ| over identity statistics (its shift stays 0). */
function linearize(model: Model, store: FeatureStore, variables: Map<string, Variable>): void {
  const name = store.layer.name;
  if (store.kind === "conv") {
    const mask = model.getMask(name);
    tf.tidy(() => {
      store.weight.assign(maskedMagnitude(parameter(model, `${name}.weight`), mask) as tf.Tensor4D);
      store.mask.assign(tf.tensor(Float32Array.from(mask), store.mask.shape, "float32"));
    });
    store.liveChannels = undefined;
    variables.set(name, store.weight);
  }
  if (store.kind === "batchNorm") {
    tf.tidy(() => {
      store.gain.assign(tf.abs(parameter(model, `${name}.gain`)) as tf.Tensor1D);
      store.variance.assign(tf.fill(store.variance.shape, 1 - store.layer.epsilon) as tf.Tensor1D);
    });
  }
}

/** The recurrent stack's |W| variables and its linear forward over one all-ones sequence. */
function recurrentFront(model: Model): Front {
  const { spec } = model;
  const steps = spec.inputShape[0]!;
  const variables = new Map<string, Variable>();
  const layers = model.recurrent.map((r) => {
    const weight = (which: "input" | "hidden"): Variable => {
      const values = maskedMagnitude(parameter(model, `${r.name}.${which}Weight`), model.getMask(`${r.name}.${which}`));
      const variable = tf.variable(values, true);
      values.dispose();
      variables.set(`${r.name}.${which}`, variable);
      return variable;
    };
    return { ...r, inputWeight: weight("input"), hiddenWeight: weight("hidden") };
  });
  const gateSum = (z: Tensor2D, gates: number, hidden: number): Tensor2D => tf.sum(tf.reshape(z, [1, gates, hidden]), 1);
  const forward = (): Tensor2D => {
    let sequence: Tensor2D[] = Array.from({ length: steps }, () => tf.ones([1, layers[0]!.inputs]));
    for (const layer of layers) {
      let h: Tensor2D = tf.zeros([1, layer.hidden]);
      sequence = sequence.map((xt) => (h = gateSum(tf.add(tf.matMul(xt, layer.inputWeight as Tensor2D), tf.matMul(h, layer.hiddenWeight as Tensor2D)), layer.gates, layer.hidden)));
    }
    return spec.recurrent!.output === "all" ? (tf.reshape(tf.stack(sequence, 1) as Tensor3D, [1, -1]) as Tensor2D) : sequence.at(-1)!;
  };
  return { variables, forward, dispose: () => tf.dispose([...variables.values()]) };
}

function noFront(model: Model): Front {
  return { variables: new Map(), forward: () => tf.ones([1, model.spec.layers[0]!.size]), dispose: () => undefined };
}

/**
 * SynFlow saliencies of the weights in `weights` (their stored values,
 * row-major in each one's mask's shape), through the whole network.
 * @throws Error when the flow overflows float32.
 */
export function synflow(model: Model, weights: ReadonlyMap<string, Float32Array>): Map<string, Float64Array> {
  const { spec } = model;
  const front = model.recurrent.length > 0 ? recurrentFront(model) : model.features.length > 0 ? convFront(model) : noFront(model);
  const blocks = model.blocks.map((b) => ({ ...b, source: spec.layers.findIndex((l) => l.name === b.source), target: spec.layers.findIndex((l) => l.name === b.target) }));
  const variables = new Map(front.variables);
  for (const b of blocks) {
    const values = maskedMagnitude(tf.tensor2d(model.getWeights(b.name), [b.sourceSize, b.targetSize]), model.getMask(b.name));
    variables.set(b.name, tf.variable(values, true));
    values.dispose();
  }
  try {
    const names = [...variables.keys()];
    const { flow, gradients } = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => {
          const activations: (Tensor2D | undefined)[] = [front.forward()];
          for (let target = 1; target < spec.layers.length; target++) {
            const parts = blocks.flatMap((b) => (b.target === target ? [tf.matMul(activations[b.source]!, variables.get(b.name)! as Tensor2D)] : []));
            activations[target] = parts.length === 0 ? tf.zeros([1, spec.layers[target]!.size]) : (tf.addN(parts) as Tensor2D);
          }
          return tf.sum(activations[spec.layers.length - 1]!);
        },
        names.map((n) => variables.get(n)!),
      );
      return { flow: value, gradients: names.map((n) => grads[variables.get(n)!.name]!) };
    });
    const R = flow.dataSync()[0]!;
    flow.dispose();
    if (!Number.isFinite(R))
      throw new Error(`${model.name}: saliency 'synflow': the |θ| network's output sum overflows float32 (${R}); choose another saliency, or prune fewer layers at once`);
    const result = new Map<string, Float64Array>();
    names.forEach((name, i) => {
      const w = weights.get(name);
      if (w === undefined) return;
      const g = gradients[i]!.dataSync();
      const s = new Float64Array(w.length);
      for (let j = 0; j < w.length; j++) s[j] = Math.abs(w[j]! * g[j]!);
      result.set(name, s);
    });
    tf.dispose(gradients);
    return result;
  } finally {
    front.dispose();
    tf.dispose(blocks.map((b) => variables.get(b.name)!));
  }
}
