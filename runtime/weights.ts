/**
 * A model's weights and masks in TensorFlow.js's own layout: a `model.json`
 * whose `weightsManifest` describes one binary buffer, made and read with
 * `tf.io.encodeWeights` / `tf.io.decodeWeights`. Parameters keep their names
 * (`dense1.weight`, `dense1.bias`, …); each block's mask is `BLOCK.mask`, of
 * dtype `bool` — one byte per entry, a quarter of a float mask.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "./model.js";
import type { NetworkSpec } from "./spec.js";

type ManifestEntry = tf.io.WeightsManifestEntry;

export interface WeightsFile {
  readonly format: "deepstruct-weights";
  readonly formatVersion: 1;
  readonly network: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly layers: readonly { readonly name: string; readonly size: number }[];
  readonly blocks: readonly { readonly name: string; readonly sourceSize: number; readonly targetSize: number }[];
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly ManifestEntry[] }[];
  /** The network's full description, so `loadModel` can rebuild it without its generated module. */
  readonly spec?: NetworkSpec;
}

export const WEIGHTS_FILE_NAME = "weights.bin";

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** What the model holds, in the order the file stores it: parameters, then masks. */
function expectedEntries(model: Model): ManifestEntry[] {
  return [
    ...model.parameters.map((p): ManifestEntry => ({ name: p.name, shape: [...p.variable.shape], dtype: "float32" })),
    ...model.blocks.map((b): ManifestEntry => ({ name: `${b.name}.mask`, shape: [b.sourceSize, b.targetSize], dtype: "bool" })),
  ];
}

export async function exportWeights(model: Model): Promise<{ modelJson: WeightsFile; weightData: ArrayBuffer }> {
  const masks = model.blocks.map((b) => ({ name: `${b.name}.mask`, tensor: tf.tensor2d(model.getMask(b.name), [b.sourceSize, b.targetSize], "bool") }));
  try {
    const named = [...model.parameters.map((p) => ({ name: p.name, tensor: p.variable as tf.Tensor })), ...masks];
    const { data, specs } = await tf.io.encodeWeights(named);
    const modelJson: WeightsFile = {
      format: "deepstruct-weights",
      formatVersion: 1,
      network: model.name,
      inputShape: [...model.inputShape],
      outputShape: [...model.outputShape],
      layers: model.layers.map((l) => ({ name: l.name, size: l.size })),
      blocks: model.blocks.map((b) => ({ name: b.name, sourceSize: b.sourceSize, targetSize: b.targetSize })),
      weightsManifest: [{ paths: [WEIGHTS_FILE_NAME], weights: specs }],
      spec: model.spec,
    };
    return { modelJson, weightData: data };
  } finally {
    tf.dispose(masks.map((m) => m.tensor));
  }
}

/**
 * Loads weights and masks into `model`. Everything is checked before anything
 * changes, so a refused file leaves the model as it was.
 * @throws Error naming the first difference between the file and the model.
 */
export async function importWeights(model: Model, modelJson: WeightsFile, weightData: ArrayBuffer): Promise<void> {
  const refuse = (reason: string): never => {
    throw new Error(`cannot load weights into '${model.name}': ${reason}`);
  };
  if (modelJson?.format !== "deepstruct-weights") refuse("the file is not a deepstruct weights file (its 'format' is not \"deepstruct-weights\")");
  if (modelJson.formatVersion !== 1) refuse(`the file has format version ${String(modelJson.formatVersion)}; this runtime reads version 1`);
  const inFile = (modelJson.weightsManifest ?? []).flatMap((group) => group.weights);
  const byName = new Map(inFile.map((entry) => [entry.name, entry]));
  const expected = expectedEntries(model);
  for (const entry of expected) {
    const found = byName.get(entry.name);
    const what = entry.dtype === "bool" ? `the mask of block '${entry.name.slice(0, -".mask".length)}'` : `parameter '${entry.name}'`;
    if (found === undefined) refuse(`the file has no ${what}`);
    if (found!.shape.length !== entry.shape.length || found!.shape.some((d, i) => d !== entry.shape[i])) {
      refuse(`${what} is [${found!.shape.join(", ")}] in the file but [${entry.shape.join(", ")}] in the model`);
    }
    if (found!.dtype !== entry.dtype) refuse(`${what} has dtype ${found!.dtype} in the file but ${entry.dtype} in the model`);
  }
  const names = new Set(expected.map((e) => e.name));
  const extra = inFile.find((entry) => !names.has(entry.name));
  if (extra) refuse(`the file has '${extra.name}', which the model does not`);
  const bytes = inFile.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * (BYTES[e.dtype] ?? Number.NaN), 0);
  if (weightData.byteLength !== bytes) refuse(`the weight data has ${weightData.byteLength} bytes but the manifest describes ${bytes}`);

  const tensors = tf.io.decodeWeights(weightData, inFile);
  try {
    for (const parameter of model.parameters) parameter.variable.assign(tensors[parameter.name]!);
    for (const block of model.blocks) model.setMask(block.name, tensors[`${block.name}.mask`]!.dataSync() as Uint8Array);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
