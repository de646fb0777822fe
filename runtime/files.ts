/**
 * Saving and loading weights as files, for Node: `DIR/model.json` and the
 * weight data it names (see `weights.ts`). A separate entry point
 * (`@deepstruct/runtime/files`), so browser bundles never meet `node:fs`.
 *
 * A save never leaves a folder that does not load: every file is written
 * under a temporary name, flushed and renamed over its place, and the weight
 * data is named by its SHA-256 (`weights-<first 16 hex digits>.bin`), so the
 * new data lands beside the old before model.json switches to it in one
 * rename. A reader sees the old model or the new one, never a mix; weight
 * files no model.json names are removed afterwards.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Model, NetworkOptions } from "./model.js";
import { readNamed, writeFileAtomically } from "./file-io.js";
import { createNetwork } from "./network.js";
import { exportWeights, fileSpec, importWeights, WEIGHTS_FILE_NAME, type WeightsFile } from "./weights.js";

// Training states beside the weights, written as the weights are (file-io.ts).
export { loadTrainingState, saveTrainingState, TRAINING_STATE_FILE } from "./training/checkpoint.js";
export { writeFileAtomically } from "./file-io.js";

/**
 * Writes `dir/model.json` (pretty-printed, keys in a fixed order) and the
 * weight data it names, creating `dir` if needed; see the top of this file
 * for why a crash at any moment leaves a folder that loads.
 */
export async function saveWeights(model: Model, dir: string): Promise<void> {
  const { modelJson, weightData } = await exportWeights(model);
  await mkdir(dir, { recursive: true });
  const name = `weights-${modelJson.weightsSha256!.slice(0, 16)}.bin`;
  await writeFileAtomically(join(dir, name), new Uint8Array(weightData));
  const named: WeightsFile = { ...modelJson, weightsManifest: modelJson.weightsManifest.map((group) => ({ ...group, paths: [name] })) };
  await writeFileAtomically(join(dir, "model.json"), `${JSON.stringify(named, null, 2)}\n`);
  // Weight files no model.json names, and what saves killed halfway left behind.
  const stale = (await readdir(dir)).filter((file) => file !== name && (file === WEIGHTS_FILE_NAME || /^weights-[0-9a-f]{16}\.bin(\.tmp-.*)?$|^model\.json\.tmp-/.test(file)));
  await Promise.all(stale.map((file) => rm(join(dir, file), { force: true })));
}

/**
 * Loads `dir/model.json` and `dir/weights.bin` into `model`, all or nothing.
 * @throws Error naming a missing or unreadable file, or (from importWeights) the first mismatch with the model.
 */
export async function loadWeights(model: Model, dir: string): Promise<void> {
  const { modelJson, weightData } = await readWeightFiles(dir);
  await importWeights(model, modelJson, weightData);
}

/**
 * Rebuilds a saved model from its folder alone: the network from the spec in
 * `model.json`, then its weights and masks.
 * @throws Error for a missing file, or a model.json without a spec.
 */
export async function loadModel(dir: string, options: NetworkOptions = {}): Promise<Model> {
  const { modelJson, weightData } = await readWeightFiles(dir);
  const spec = fileSpec(modelJson);
  if (spec === undefined) throw new Error(`cannot load a model from ${join(dir, "model.json")}: it has no network spec (it was saved without one)`);
  const model = await createNetwork(spec, options);
  await importWeights(model, modelJson, weightData);
  return model;
}

async function readWeightFiles(dir: string): Promise<{ modelJson: WeightsFile; weightData: ArrayBuffer }> {
  const jsonPath = join(dir, "model.json");
  const text = await readNamed(jsonPath, "weights", "utf8");
  let modelJson: WeightsFile;
  try {
    // Its content is checked by importWeights, field by field.
    modelJson = JSON.parse(text) as WeightsFile;
  } catch (error) {
    throw new Error(`cannot load weights from ${jsonPath}: it is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  // This format writes one binary file, named in the manifest; other files it names are refused by the byte count.
  const binary = await readNamed(join(dir, weightFileName(modelJson, jsonPath)), "weights");
  // A Buffer may be a view into a larger pool: copy out exactly its bytes.
  return { modelJson, weightData: binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength) as ArrayBuffer };
}

/** The weight file model.json names: a plain file name in the same folder (`weights.bin` in files from before names carried the checksum). */
function weightFileName(modelJson: WeightsFile, jsonPath: string): string {
  const manifest = (modelJson as unknown as { weightsManifest?: readonly { readonly paths?: readonly unknown[] }[] }).weightsManifest;
  const name: unknown = (Array.isArray(manifest) ? manifest[0]?.paths?.[0] : undefined) ?? WEIGHTS_FILE_NAME;
  if (typeof name !== "string" || !/^[\w.-]+$/.test(name) || name.startsWith(".")) {
    throw new Error(`cannot load weights from ${jsonPath}: its manifest names the weight file ${JSON.stringify(name)}, which is not a file name in the same folder`);
  }
  return name;
}
