import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RunVersion } from "./runs.js";

/** A run folder is a folder holding the model.json `dsc train` writes. */
export function isRunFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, "model.json"));
}

/**
 * Reads a run folder's spec, and the masks and weights of every weight
 * pruning and growth reach: dense blocks, convs (stem, cells, head) and
 * recurrent weights, by getMask's names, each as rows × its mask's last axis
 * (a conv's [kernel rows · kernel cols · in channels, out channels], HWIO
 * row-major). The runtime (and with it TensorFlow.js) is loaded here, on
 * first use, so diffing `.ds` files never pays for it; the CPU backend,
 * since nothing is computed.
 * @throws Error naming the file that is missing or damaged.
 */
export async function loadRun(dir: string): Promise<RunVersion> {
  const { loadModel } = await import("../../runtime/files.js");
  const { prunableWeights, readWeights } = await import("../../runtime/pruning/weights.js");
  const model = await loadModel(dir, { backend: "cpu" });
  try {
    const blocks = prunableWeights(model).map((weight) => {
      const targetSize = weight.shape.at(-1)!;
      return { name: weight.name, sourceSize: weight.size / targetSize, targetSize, mask: model.getMask(weight.name), weights: readWeights(model, weight) };
    });
    return { spec: model.spec, blocks };
  } finally {
    model.dispose();
  }
}
