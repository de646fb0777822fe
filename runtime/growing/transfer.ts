/**
 * Growing a structure: moving a trained model into a larger version of its
 * network — typically a scalable family at a larger scale, `scalable(g,
 * scale=s)` → `scalable(g, scale=s′)` — keeping the trained weights of
 * everything that existed.
 *
 * Neurons correspond by identity: in a layer made from a graph, the i-th
 * neuron of vertex v's group is (v, i); elsewhere the i-th neuron of the
 * layer. Connections between corresponding neurons keep their weight and mask
 * (pruned stays pruned); connections into new neurons are drawn like the
 * initialisation; connections out of new neurons start at 0 (`zero`, which
 * preserves the function when the network has no layer norm) or are drawn
 * too (`fresh`). Biases of new neurons start at 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initLimit } from "../init.js";
import { transferCells } from "../cells/grow.js";
import type { LayerInfo, Model } from "../model.js";
import { createNetwork } from "../network.js";
import { createRandom } from "../random.js";
import type { NetworkSpec } from "../spec.js";

export interface TransferOptions {
  readonly mode?: "zero" | "fresh";
  readonly seed?: number;
}

export async function growInto(model: Model, spec: NetworkSpec, options: TransferOptions = {}): Promise<Model> {
  const grown = await createNetwork(spec, { backend: model.backend, seed: options.seed ?? 0, execution: model.executionMode });
  const random = createRandom((options.seed ?? 0) + 104729);
  const oldIndex = new Map(
    grown.layers.map((layer) => [
      layer.name,
      correspondence(
        layer,
        model.layers.find((l) => l.name === layer.name),
      ),
    ]),
  );
  for (const block of grown.blocks) {
    const old = model.blocks.find((b) => b.name === block.name);
    const rows = oldIndex.get(block.source)!;
    const cols = oldIndex.get(block.target)!;
    const oldWeights = old ? model.getWeights(old.name) : undefined;
    const oldMask = old ? model.getMask(old.name) : undefined;
    const mask = grown.getMask(block.name);
    const weights = new Float32Array(block.sourceSize * block.targetSize);
    const fanIn = new Uint32Array(block.targetSize);
    mask.forEach((m, i) => m === 1 && fanIn[i % block.targetSize]!++);
    for (let r = 0; r < block.sourceSize; r++) {
      for (let c = 0; c < block.targetSize; c++) {
        const i = r * block.targetSize + c;
        const [or, oc] = [rows[r], cols[c]];
        if (old && or !== undefined && oc !== undefined) {
          weights[i] = oldWeights![or * old.targetSize + oc]!;
          if (oldMask![or * old.targetSize + oc] === 0) mask[i] = 0;
        } else if (oc === undefined || options.mode === "fresh") {
          const limit = initLimit(model.spec.activation, fanIn[c]!);
          weights[i] = random.uniform(-limit, limit);
        }
      }
    }
    grown.setMask(block.name, mask);
    grown.setWeights(block.name, weights);
  }
  for (const layer of grown.layers) {
    if (layer.kind === "input" || !model.layers.some((l) => l.name === layer.name)) continue;
    const index = oldIndex.get(layer.name)!;
    const before = model.getBias(layer.name);
    grown.setBias(
      layer.name,
      Float32Array.from({ length: layer.size }, (_, n) => (index[n] === undefined ? 0 : before[index[n]!]!)),
    );
    for (const kind of ["gain", "shift"]) {
      const from = model.parameters.find((p) => p.name === `${layer.name}.${kind}`);
      const to = grown.parameters.find((p) => p.name === `${layer.name}.${kind}`);
      if (!from || !to) continue;
      const old = from.variable.dataSync();
      const values = tf.tensor1d(Float32Array.from({ length: layer.size }, (_, n) => (index[n] === undefined ? (kind === "gain" ? 1 : 0) : old[index[n]!]!)));
      to.variable.assign(values);
      values.dispose();
    }
  }
  if (spec.cells !== undefined || model.spec.cells !== undefined) {
    try {
      if (spec.cells === undefined || model.spec.cells === undefined) throw new Error(`growInto: '${model.name}' and '${spec.name}' must both be cell networks, or neither`);
      transferCells(model, grown, spec.cells, model.spec.cells, options.mode ?? "zero");
    } catch (error) {
      grown.dispose();
      throw error;
    }
  }
  return grown;
}

/** For each neuron of the new layer, the index of the same neuron in the old layer (undefined for a new one). */
function correspondence(layer: LayerInfo, old: LayerInfo | undefined): (number | undefined)[] {
  if (old === undefined) return new Array<undefined>(layer.size).fill(undefined);
  const key = (info: LayerInfo, n: number, seen: Map<number, number>): string => {
    const vertex = info.vertices?.[n];
    if (vertex === undefined) return String(n);
    const occurrence = seen.get(vertex) ?? 0;
    seen.set(vertex, occurrence + 1);
    return `${vertex}#${occurrence}`;
  };
  const seenOld = new Map<number, number>();
  const oldKeys = new Map(Array.from({ length: old.size }, (_, n) => [key(old, n, seenOld), n]));
  const seenNew = new Map<number, number>();
  return Array.from({ length: layer.size }, (_, n) => oldKeys.get(key(layer, n, seenNew)));
}
