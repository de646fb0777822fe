/**
 * A model's weights and masks in TensorFlow.js's own layout: a `model.json`
 * whose `weightsManifest` describes one binary buffer, made and read with
 * `tf.io.encodeWeights` / `tf.io.decodeWeights`, so TensorFlow.js tools can
 * read the buffer too. Parameters keep their names (`dense1.weight`,
 * `dense1.bias`, …); each block's mask is `BLOCK.mask`, shape
 * [sourceSize, targetSize], of dtype `bool`: TensorFlow.js stores a bool as
 * one byte (an int32 mask would take four), and the dtype itself says the
 * entries can only be 0 or 1. A mask is what `getMask` returns, the mask the
 * model computes with (for learnable masks: the static mask and the learned
 * one combined), so the loaded model predicts exactly as the saved one.
 *
 * Pure: no file system, so it works in browsers (files.ts adds the files).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "./model.js";
import type { NetworkSpec } from "./spec.js";

type ManifestEntry = tf.io.WeightsManifestEntry;

/** The content of `model.json`. */
export interface WeightsFile {
  readonly format: "deepstruct-weights";
  readonly formatVersion: 1;
  /** Name of the network the weights were saved from. */
  readonly network: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Summaries for a reader of the file; loading checks the manifest, not these. */
  readonly layers: readonly { readonly name: string; readonly size: number }[];
  readonly blocks: readonly { readonly name: string; readonly sourceSize: number; readonly targetSize: number }[];
  /** TensorFlow.js's manifest: parameters in the model's order, then one mask per block. */
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly ManifestEntry[] }[];
  /** The network's full description, so `loadModel` can rebuild it without its generated module. */
  readonly spec?: NetworkSpec;
}

/** The binary file the manifest points at. */
export const WEIGHTS_FILE_NAME = "weights.bin";

const FORMAT = "deepstruct-weights";
const FORMAT_VERSION = 1;
const MASK_SUFFIX = ".mask";

/** Bytes per entry of the dtypes this format stores. */
const BYTES_PER_ENTRY: Readonly<Record<string, number>> = { float32: 4, bool: 1 };

/** What the model holds, in the order the file stores it: parameters, then masks. */
function expectedEntries(model: Model): ManifestEntry[] {
  return [
    ...model.parameters.map((p): ManifestEntry => ({ name: p.name, shape: [...p.variable.shape], dtype: "float32" })),
    ...model.blocks.map((b): ManifestEntry => ({ name: `${b.name}${MASK_SUFFIX}`, shape: [b.sourceSize, b.targetSize], dtype: "bool" })),
  ];
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** The block whose mask an expected entry is, or undefined for a parameter. */
function maskedBlock(entry: ManifestEntry): string | undefined {
  return entry.dtype === "bool" ? entry.name.slice(0, -MASK_SUFFIX.length) : undefined;
}

/** How an expected entry is named in messages: `parameter 'dense1.weight'`, `the mask of block 'input->dense1'`. */
function describe(entry: ManifestEntry): string {
  const block = maskedBlock(entry);
  return block === undefined ? `parameter '${entry.name}'` : `the mask of block '${block}'`;
}

/**
 * A model's parameters and masks as `model.json` content and the buffer
 * `weights.bin` holds. Float32 values are copied bit for bit.
 */
export async function exportWeights(model: Model): Promise<{ modelJson: WeightsFile; weightData: ArrayBuffer }> {
  const masks = model.blocks.map((b) => ({ name: `${b.name}${MASK_SUFFIX}`, tensor: tf.tensor2d(model.getMask(b.name), [b.sourceSize, b.targetSize], "bool") }));
  try {
    const named = [...model.parameters.map((p) => ({ name: p.name, tensor: p.variable as tf.Tensor })), ...masks];
    const { data, specs } = await tf.io.encodeWeights(named);
    // Keys in a fixed order, so the same model always gives the same model.json.
    const modelJson: WeightsFile = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
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
 * The manifest's entries, or the reason they cannot be read. model.json is
 * data from outside, so its structure is checked before it is trusted.
 */
function manifestEntries(modelJson: WeightsFile): ManifestEntry[] | string {
  const groups: unknown = modelJson.weightsManifest;
  if (!Array.isArray(groups) || groups.length === 0) return "the file has no weightsManifest";
  const entries: ManifestEntry[] = [];
  for (const group of groups as unknown[]) {
    const weights = (group as { weights?: unknown } | null)?.weights;
    if (!Array.isArray(weights)) return "a weightsManifest group has no list of weights";
    for (const entry of weights as unknown[]) {
      const { name, shape, dtype, quantization } = (entry ?? {}) as Partial<Record<keyof ManifestEntry, unknown>>;
      if (typeof name !== "string") return "a weightsManifest entry has no name";
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) return `the manifest entry '${name}' has no valid shape`;
      // Quantized weights cannot come back bit for bit, and this format never writes them.
      if (quantization !== undefined) return `the manifest entry '${name}' is quantized; only float32 weights and bool masks are read`;
      if (typeof dtype !== "string" || !(dtype in BYTES_PER_ENTRY)) return `the manifest entry '${name}' has dtype ${String(dtype)}; only float32 weights and bool masks are read`;
      entries.push(entry as ManifestEntry);
    }
  }
  return entries;
}

/**
 * Loads weights and masks into `model`. Everything is checked before anything
 * changes (and a mask a sparse kernel refuses is undone, see `setMasks`), so a
 * refused file leaves the model as it was: the format, that the
 * file holds exactly the model's parameters and masks with the same shapes,
 * and that `weightData` is as long as the manifest says. The network's name
 * is not compared: a file saved from a differently named network with the
 * same parameters loads.
 * @throws Error naming the first difference between the file and the model.
 */
export async function importWeights(model: Model, modelJson: WeightsFile, weightData: ArrayBuffer): Promise<void> {
  const savedFrom = typeof modelJson?.network === "string" && modelJson.network !== model.name ? ` (the file was saved from network '${modelJson.network}')` : "";
  const refuse = (reason: string): never => {
    throw new Error(`cannot load weights into '${model.name}': ${reason}${savedFrom}`);
  };
  if (modelJson === null || typeof modelJson !== "object" || modelJson.format !== FORMAT) refuse(`the file is not a deepstruct weights file (its 'format' is not "${FORMAT}")`);
  if (modelJson.formatVersion !== FORMAT_VERSION) refuse(`the file has format version ${String(modelJson.formatVersion)}; this runtime reads version ${FORMAT_VERSION}`);
  const read = manifestEntries(modelJson);
  if (typeof read === "string") return refuse(read);
  const inFile = read;

  const byName = new Map<string, ManifestEntry>();
  for (const entry of inFile) {
    if (byName.has(entry.name)) refuse(`the file has '${entry.name}' twice`);
    byName.set(entry.name, entry);
  }
  const expected = expectedEntries(model);
  for (const entry of expected) {
    const found = byName.get(entry.name);
    if (found === undefined) {
      const block = maskedBlock(entry);
      return refuse(block === undefined ? `the file has no parameter '${entry.name}'` : `the file has no mask for block '${block}'`);
    }
    if (found.shape.length !== entry.shape.length || found.shape.some((d, i) => d !== entry.shape[i])) {
      refuse(`${describe(entry)} is ${shapeText(found.shape)} in the file but ${shapeText(entry.shape)} in the model`);
    }
    if (found.dtype !== entry.dtype) refuse(`${describe(entry)} has dtype ${found.dtype} in the file but ${entry.dtype} in the model`);
  }
  const names = new Set(expected.map((e) => e.name));
  const extra = inFile.find((entry) => !names.has(entry.name));
  if (extra !== undefined) refuse(`the file has '${extra.name}', which the model does not`);
  const bytes = inFile.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ENTRY[e.dtype]!, 0);
  if (typeof weightData?.byteLength !== "number") refuse("the weight data is not an ArrayBuffer");
  if (weightData.byteLength !== bytes) refuse(`the weight data has ${weightData.byteLength} bytes but the manifest describes ${bytes}`);

  const tensors = tf.io.decodeWeights(weightData, inFile);
  try {
    setMasks(model, tensors, refuse);
    // Shapes and dtypes are checked, so assigning cannot fail halfway.
    for (const parameter of model.parameters) parameter.variable.assign(tensors[parameter.name]!);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Sets every block's mask from the decoded file, or none of them. A mask of
 * the right length holding only 0 and 1 can still be refused by a sparse
 * kernel, which holds only its structure's connections. Those blocks go first
 * (a kernel runs sparse when its `.weight` is one value per connection, rank
 * 1) and are put back if one is refused; the others cannot be refused.
 * Masks are set before any weight, so a refusal leaves the weights untouched.
 */
function setMasks(model: Model, tensors: tf.NamedTensorMap, refuse: (reason: string) => never): void {
  const sparseLayers = new Set(model.parameters.filter((p) => p.name.endsWith(".weight") && p.variable.rank === 1).map((p) => p.name.slice(0, -".weight".length)));
  const blocks = [...model.blocks.filter((b) => sparseLayers.has(b.target)), ...model.blocks.filter((b) => !sparseLayers.has(b.target))];
  const previous = new Map<string, Uint8Array>();
  for (const block of blocks) {
    const mask = tensors[`${block.name}${MASK_SUFFIX}`]!.dataSync() as Uint8Array;
    previous.set(block.name, model.getMask(block.name));
    try {
      model.setMask(block.name, mask);
    } catch (error) {
      for (const [name, old] of previous) model.setMask(name, old);
      refuse(error instanceof Error ? error.message : String(error));
    }
  }
}
