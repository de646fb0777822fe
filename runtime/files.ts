/**
 * Saving and loading weights as files, for Node: `DIR/model.json` and
 * `DIR/weights.bin` (see `weights.ts`). A separate entry point
 * (`deepstruct/runtime/files`), so browser bundles never meet `node:fs`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Model, NetworkOptions } from "./model.js";
import { createNetwork } from "./network.js";
import { exportWeights, fileSpec, importWeights, WEIGHTS_FILE_NAME, type WeightsFile } from "./weights.js";

/**
 * Writes `dir/model.json` (pretty-printed, keys in a fixed order) and
 * `dir/weights.bin`, creating `dir` if needed.
 */
export async function saveWeights(model: Model, dir: string): Promise<void> {
  const { modelJson, weightData } = await exportWeights(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.json"), `${JSON.stringify(modelJson, null, 2)}\n`);
  await writeFile(join(dir, WEIGHTS_FILE_NAME), new Uint8Array(weightData));
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
  const text = await read(jsonPath, "utf8");
  let modelJson: WeightsFile;
  try {
    // Its content is checked by importWeights, field by field.
    modelJson = JSON.parse(text) as WeightsFile;
  } catch (error) {
    throw new Error(`cannot load weights from ${jsonPath}: it is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  // This format writes one binary file; a manifest naming others is refused by its byte count.
  const binary = await read(join(dir, WEIGHTS_FILE_NAME));
  // A Buffer may be a view into a larger pool: copy out exactly its bytes.
  return { modelJson, weightData: binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength) as ArrayBuffer };
}

/** Reads a file; a missing one is an Error naming its path. */
async function read(path: string): Promise<Buffer>;
async function read(path: string, encoding: "utf8"): Promise<string>;
async function read(path: string, encoding?: "utf8"): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(path, encoding) : await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `cannot load weights: no such file ${path}` : `cannot load weights from ${path}: ${(error as Error).message}`, { cause: error });
  }
}
