/**
 * Saving and loading weights as files, for Node: `DIR/model.json` and
 * `DIR/weights.bin` (see `weights.ts`). A separate entry point
 * (`deepstruct/runtime/files`), so browser bundles never meet `node:fs`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Model, NetworkOptions } from "./model.js";
import { createNetwork } from "./network.js";
import { exportWeights, importWeights, WEIGHTS_FILE_NAME, type WeightsFile } from "./weights.js";

export async function saveWeights(model: Model, dir: string): Promise<void> {
  const { modelJson, weightData } = await exportWeights(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.json"), `${JSON.stringify(modelJson, null, 2)}\n`);
  await writeFile(join(dir, WEIGHTS_FILE_NAME), new Uint8Array(weightData));
}

/** @throws Error naming a missing file, or (from importWeights) the first mismatch with the model. */
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
  if (modelJson.spec === undefined) throw new Error(`cannot load a model from ${join(dir, "model.json")}: it has no network spec (it was saved without one)`);
  const model = await createNetwork(modelJson.spec, options);
  await importWeights(model, modelJson, weightData);
  return model;
}

async function readWeightFiles(dir: string): Promise<{ modelJson: WeightsFile; weightData: ArrayBuffer }> {
  const modelJson = JSON.parse(await read(join(dir, "model.json"), "utf8")) as WeightsFile;
  const binary = await read(join(dir, WEIGHTS_FILE_NAME));
  return { modelJson, weightData: binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength) as ArrayBuffer };
}

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
