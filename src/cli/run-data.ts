/**
 * The data of a command that works on a model: `dsc train`, `dsc evaluate`,
 * `dsc predict`. A data error is printed as `file:line:col: error: …` and
 * gives `undefined`; anything else is a bug and propagates.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Model } from "../../runtime/index.js";
import { DataError, loadData, type Dataset, type DataShape } from "../data/index.js";
import { analyze, type CheckedDataset } from "../index.js";
import type { CliIo } from "./main.js";

export interface Split {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly description: string;
}

export function shapeOf(model: Model): DataShape {
  const shape = { inputSize: model.inputShape.reduce((a, b) => a * b, 1), outputSize: model.outputShape[0]! };
  const recurrent = model.spec.recurrent;
  if (recurrent === undefined) return shape;
  const flags = recurrent.padded === true;
  return { ...shape, sequence: { steps: model.inputShape[0]!, features: model.inputShape[1]! - (flags ? 1 : 0), flags } };
}

export async function readData(source: string, model: Model, io: CliIo, datasets: readonly CheckedDataset[]): Promise<Split | undefined> {
  return reported(io, () => loadData(source, shapeOf(model), { datasets }));
}

export async function reported<T>(io: CliIo, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    io.err(error.format());
    return undefined;
  }
}

/**
 * The `data` declarations of the .ds file a saved run was trained from (its
 * report.json names it), so `--data NAME` means there what it meant to `dsc
 * train`. None when the run or its file is gone.
 */
export async function runDatasets(run: string): Promise<readonly CheckedDataset[]> {
  const file = (await runReport(run))?.settings?.file;
  const source = file === undefined ? undefined : await readFile(file, "utf8").catch(() => undefined);
  return source === undefined ? [] : (analyze(source, { fileName: file }).datasets ?? []);
}

/** What a command on a saved run reads of its report.json; undefined when there is none (a folder saveWeights wrote). */
export async function runReport(run: string): Promise<{ readonly settings?: { readonly file?: string }; readonly testAccuracy?: number | null } | undefined> {
  const text = await readFile(join(run, "report.json"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { settings?: { file?: string }; testAccuracy?: number | null });
}
