import { DEFAULT_LIMITS } from "../check/limits.js";
import { readTextFile } from "./files.js";
import { resolve } from "node:path";
import type { MaskFile } from "./program.js";

/**
 * Reads a mask file: JSON `{ "BLOCK": [0, 1, …], … }`, one row-major
 * `[source, target]` list of 0/1 per block name (names as `model.blocks`
 * gives them, e.g. `"input->dense1"`). Shapes are checked by lower, which
 * knows the blocks.
 */
export function readMaskFile(path: string, baseDir: string, maxBytes = DEFAULT_LIMITS.fileBytes): MaskFile {
  const text = readTextFile(resolve(baseDir, path), maxBytes);
  if (typeof text !== "string") return { problem: text.reason, unreadable: true };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { problem: `invalid JSON: ${(error as Error).message}`, unreadable: false };
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) return { problem: 'expected { "BLOCK": [0, 1, …], … }', unreadable: false };
  const masks: Record<string, number[]> = {};
  for (const [block, values] of Object.entries(document)) {
    if (!Array.isArray(values) || values.some((v) => v !== 0 && v !== 1)) return { problem: `the mask of block '${block}' is not a list of 0 and 1`, unreadable: false };
    masks[block] = values as number[];
  }
  return { masks };
}
