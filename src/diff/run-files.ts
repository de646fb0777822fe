import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RunVersion } from "./runs.js";

/** A run folder is a folder holding the model.json `dsc train` writes. */
export function isRunFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, "model.json"));
}

/**
 * Reads a run folder's spec, masks and weights. The runtime (and with it
 * TensorFlow.js) is loaded here, on first use, so diffing `.ds` files never
 * pays for it; the CPU backend, since nothing is computed.
 * @throws Error naming the file that is missing or damaged.
 */
export async function loadRun(dir: string): Promise<RunVersion> {
  const { loadModel } = await import("../../runtime/files.js");
  const model = await loadModel(dir, { backend: "cpu" });
  try {
    const blocks = model.blocks.map(({ name, sourceSize, targetSize }) => ({ name, sourceSize, targetSize, mask: model.getMask(name), weights: model.getWeights(name) }));
    return { spec: model.spec, blocks };
  } finally {
    model.dispose();
  }
}
