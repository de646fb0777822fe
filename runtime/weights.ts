/**
 * A model's weights and masks in TensorFlow.js's own layout: a `model.json`
 * whose `weightsManifest` describes one binary buffer, made and read with
 * `tf.io.encodeWeights` / `tf.io.decodeWeights`, so TensorFlow.js tools can
 * read the buffer too.
 *
 * Format version 2 stores every parameter in the canonical layout of
 * storage/layout.ts (`dense1.weight`, `dense1.bias`, …, shaped as
 * `model.parameters` are), then for each kernel with connections its mask,
 * `LAYER.mask`, of dtype `bool` in the weight's shape: one byte per
 * connection, and the dtype itself says the entries can only be 0 or 1. A
 * mask is the one the model computes with (for learnable masks: the static
 * mask and the learned one combined), so the loaded model predicts exactly
 * as the saved one. Nothing in the file depends on how the kernels ran, so a
 * model saved under any execution and backend loads under any other.
 * Version 1 files (whose layout followed the execution) are converted on
 * load by weights-v1.ts.
 *
 * Pure: no file system, so it works in browsers (files.ts adds the files).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "./model.js";
import type { NetworkSpec } from "./spec.js";
import { forEachBlockConnection, networkLayout, type KernelLayout } from "./storage/layout.js";
import { upgradeEntries, upgradeSpec, type EntryValues } from "./weights-v1.js";

type ManifestEntry = tf.io.WeightsManifestEntry;

/** The content of `model.json`. */
export interface WeightsFile {
  readonly format: "deepstruct-weights";
  readonly formatVersion: 1 | 2;
  /** Name of the network the weights were saved from. */
  readonly network: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Summaries for a reader of the file; loading checks the manifest, not these. */
  readonly layers: readonly { readonly name: string; readonly size: number }[];
  readonly blocks: readonly { readonly name: string; readonly sourceSize: number; readonly targetSize: number }[];
  /** TensorFlow.js's manifest: parameters in the model's order, then one mask per kernel with connections. */
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly ManifestEntry[] }[];
  /** SHA-256 of the weight data (hex), checked on load; files written before it was recorded have none. */
  readonly weightsSha256?: string;
  /** The network's full description, so `loadModel` can rebuild it without its generated module. */
  readonly spec?: NetworkSpec;
}

/** The binary file the manifest points at. */
export const WEIGHTS_FILE_NAME = "weights.bin";

const FORMAT = "deepstruct-weights";
const FORMAT_VERSION = 2;
const MASK_SUFFIX = ".mask";

/** Bytes per entry of the dtypes this format stores. */
const BYTES_PER_ENTRY: Readonly<Record<string, number>> = { float32: 4, bool: 1 };

/** Kernels with connections: the ones that have a weight and a mask. */
function weightedLayouts(model: Model): KernelLayout[] {
  return networkLayout(model.spec).filter((layout) => layout.count > 0);
}

function maskName(model: Model, layout: KernelLayout): string {
  return `${model.spec.layers[layout.target]!.name}${MASK_SUFFIX}`;
}

/**
 * Masks outside the dense kernels, named as getMask names them: the convs'
 * (HWIO weight shape) and the recurrent layers' input and hidden weights'.
 */
function convShapes(model: Model): { name: string; shape: number[] }[] {
  const convs = model.features.flatMap((f) => (f.weightShape === undefined ? [] : [{ name: f.name, shape: [...f.weightShape] }]));
  const recurrent = model.recurrent.flatMap((r) => r.masks.map((m) => ({ name: m.name, shape: [...m.shape] })));
  return [...convs, ...recurrent];
}

/** What the model holds, in the order the file stores it: parameters, then masks, then the feature layers' state, conv masks and recurrent masks (absent without them). */
function expectedEntries(model: Model, layouts: readonly KernelLayout[]): ManifestEntry[] {
  return [
    ...model.parameters.map((p): ManifestEntry => ({ name: p.name, shape: [...p.variable.shape], dtype: "float32" })),
    ...layouts.map((layout): ManifestEntry => ({ name: maskName(model, layout), shape: [...layout.shape], dtype: "bool" })),
    ...model.state.map((p): ManifestEntry => ({ name: p.name, shape: [...p.variable.shape], dtype: "float32" })),
    ...convShapes(model).map((c): ManifestEntry => ({ name: `${c.name}${MASK_SUFFIX}`, shape: c.shape, dtype: "bool" })),
  ];
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** How an expected entry is named in messages: `parameter 'dense1.weight'`, `the mask of layer 'dense1'`. */
function describe(entry: ManifestEntry): string {
  return entry.dtype === "bool" ? `the mask of layer '${entry.name.slice(0, -MASK_SUFFIX.length)}'` : `parameter '${entry.name}'`;
}

/** A kernel's mask per connection, read block by block from the model. */
function kernelMask(model: Model, layout: KernelLayout): Uint8Array {
  const live = new Uint8Array(layout.count);
  for (const slice of layout.blocks) {
    const mask = model.getMask(slice.name);
    forEachBlockConnection(layout, slice, (e, entry) => (live[e] = mask[entry]!));
  }
  return live;
}

/**
 * A model's parameters and masks as `model.json` content and the buffer
 * `weights.bin` holds. Float32 values are copied bit for bit.
 */
export async function exportWeights(model: Model): Promise<{ modelJson: WeightsFile; weightData: ArrayBuffer }> {
  const masks = weightedLayouts(model).map((layout) => ({ name: maskName(model, layout), tensor: tf.tensor(kernelMask(model, layout), [...layout.shape], "bool") }));
  const convMasks = convShapes(model).map((c) => ({ name: `${c.name}${MASK_SUFFIX}`, tensor: tf.tensor(model.getMask(c.name), c.shape, "bool") }));
  try {
    const named = [
      ...model.parameters.map((p) => ({ name: p.name, tensor: p.variable as tf.Tensor })),
      ...masks,
      ...model.state.map((p) => ({ name: p.name, tensor: p.variable as tf.Tensor })),
      ...convMasks,
    ];
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
      weightsSha256: await sha256(data),
      spec: model.spec,
    };
    return { modelJson, weightData: data };
  } finally {
    tf.dispose([...masks, ...convMasks].map((m) => m.tensor));
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

/** The manifest's entries after checking the header, and that no name comes twice. */
function checkedManifest(modelJson: WeightsFile, refuse: (reason: string) => never): ManifestEntry[] {
  if (modelJson === null || typeof modelJson !== "object" || modelJson.format !== FORMAT) refuse(`the file is not a deepstruct weights file (its 'format' is not "${FORMAT}")`);
  if (modelJson.formatVersion !== 1 && modelJson.formatVersion !== FORMAT_VERSION) {
    refuse(`the file has format version ${String(modelJson.formatVersion)}; this runtime reads versions 1 and ${FORMAT_VERSION}`);
  }
  const inFile = manifestEntries(modelJson);
  if (typeof inFile === "string") return refuse(inFile);
  const names = new Set<string>();
  for (const entry of inFile) {
    if (names.has(entry.name)) refuse(`the file has '${entry.name}' twice`);
    names.add(entry.name);
  }
  return inFile;
}

/** The SHA-256 of some bytes, in hex (Web Crypto: Node and browsers alike). */
export async function sha256(data: ArrayBuffer): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Refuses weight data whose SHA-256 is not the one model.json records, and weights that are not finite. */
async function checkContent(modelJson: WeightsFile, weightData: ArrayBuffer, entries: EntryValues, refuse: (reason: string) => never): Promise<void> {
  if (modelJson.weightsSha256 !== undefined && (await sha256(weightData)) !== modelJson.weightsSha256) {
    refuse("the weight data does not match the SHA-256 that model.json records: the files are damaged, or come from different saves");
  }
  for (const [name, { values }] of entries) {
    if (values instanceof Uint8Array) continue;
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) refuse(`parameter '${name}' entry ${bad} is ${values[bad]}; weights must be finite numbers`);
  }
}

/** The entries decoded, after checking that `weightData` is as long as the manifest says. */
function decodeEntries(inFile: readonly ManifestEntry[], weightData: ArrayBuffer, refuse: (reason: string) => never): EntryValues {
  const bytes = inFile.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ENTRY[e.dtype]!, 0);
  if (typeof weightData?.byteLength !== "number") refuse("the weight data is not an ArrayBuffer");
  if (weightData.byteLength !== bytes) refuse(`the weight data has ${weightData.byteLength} bytes but the manifest describes ${bytes}`);
  const tensors = tf.io.decodeWeights(weightData, [...inFile]);
  const values: EntryValues = new Map();
  for (const entry of inFile) values.set(entry.name, { shape: entry.shape, values: tensors[entry.name]!.dataSync() as Float32Array | Uint8Array });
  tf.dispose(Object.values(tensors));
  return values;
}

/** Refuses, naming the first difference, unless `found` holds exactly the `expected` entries. */
function checkEntries(
  expected: readonly ManifestEntry[],
  found: ReadonlyMap<string, { readonly shape: readonly number[]; readonly dtype: string }>,
  refuse: (reason: string) => never,
): void {
  for (const entry of expected) {
    const inFile = found.get(entry.name);
    if (inFile === undefined)
      return refuse(entry.dtype === "bool" ? `the file has no mask for layer '${entry.name.slice(0, -MASK_SUFFIX.length)}'` : `the file has no parameter '${entry.name}'`);
    if (inFile.shape.length !== entry.shape.length || inFile.shape.some((d, i) => d !== entry.shape[i])) {
      refuse(`${describe(entry)} is ${shapeText(inFile.shape)} in the file but ${shapeText(entry.shape)} in the model`);
    }
    if (inFile.dtype !== entry.dtype) refuse(`${describe(entry)} has dtype ${inFile.dtype} in the file but ${entry.dtype} in the model`);
  }
  const names = new Set(expected.map((e) => e.name));
  const extra = [...found.keys()].find((name) => !names.has(name));
  if (extra !== undefined) refuse(`the file has '${extra}', which the model does not`);
}

/**
 * Loads weights and masks into `model`. Everything is checked before anything
 * changes, so a refused file leaves the model as it was: the format, that
 * the file holds exactly the model's parameters and masks with the same
 * shapes, and that `weightData` is as long as the manifest says. The
 * network's name is not compared: a file saved from a differently named
 * network with the same parameters loads.
 * @throws Error naming the first difference between the file and the model.
 */
export async function importWeights(model: Model, modelJson: WeightsFile, weightData: ArrayBuffer): Promise<void> {
  const savedFrom = typeof modelJson?.network === "string" && modelJson.network !== model.name ? ` (the file was saved from network '${modelJson.network}')` : "";
  const refuse = (reason: string): never => {
    throw new Error(`cannot load weights into '${model.name}': ${reason}${savedFrom}`);
  };
  const inFile = checkedManifest(modelJson, refuse);
  const layouts = weightedLayouts(model);
  const expected = expectedEntries(model, layouts);
  const current = modelJson.formatVersion === FORMAT_VERSION;
  if (current) checkEntries(expected, new Map(inFile.map((e) => [e.name, e])), refuse);
  let entries = decodeEntries(inFile, weightData, refuse);
  await checkContent(modelJson, weightData, entries, refuse);
  if (!current) {
    entries = upgradeEntries(model, entries, refuse);
    const dtypeOf = (values: Float32Array | Uint8Array): string => (values instanceof Uint8Array ? "bool" : "float32");
    checkEntries(expected, new Map([...entries].map(([name, e]) => [name, { shape: e.shape, dtype: dtypeOf(e.values) }])), refuse);
  }
  // Everything is checked: masks (which the layout guarantees fit) and weights cannot fail halfway.
  for (const layout of layouts) setKernelMask(model, layout, entries.get(maskName(model, layout))!.values as Uint8Array);
  for (const conv of convShapes(model)) model.setMask(conv.name, entries.get(`${conv.name}${MASK_SUFFIX}`)!.values);
  for (const parameter of [...model.parameters, ...model.state]) {
    const tensor = tf.tensor(entries.get(parameter.name)!.values, parameter.variable.shape, "float32");
    parameter.variable.assign(tensor);
    tensor.dispose();
  }
}

/** Sets a kernel's mask, given per connection, block by block. */
function setKernelMask(model: Model, layout: KernelLayout, live: Uint8Array): void {
  for (const slice of layout.blocks) {
    const mask = new Uint8Array(slice.sourceSize * layout.cols);
    forEachBlockConnection(layout, slice, (e, entry) => (mask[entry] = live[e]!));
    model.setMask(slice.name, mask);
  }
}

/** The spec a file carries, in the current form (version 1 files are converted), or undefined. */
export function fileSpec(modelJson: WeightsFile): NetworkSpec | undefined {
  if (modelJson.spec === undefined) return undefined;
  return modelJson.formatVersion === 1 ? upgradeSpec(modelJson.spec) : modelJson.spec;
}
