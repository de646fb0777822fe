import { permutation, subset, type Dataset } from "../../runtime/datasets/dataset.js";
import { createRandom } from "../../runtime/random.js";

export type { Dataset, Labels } from "../../runtime/datasets/dataset.js";

/** What a loader checks the data against: the network's input and output sizes. */
export interface DataShape {
  readonly inputSize: number;
  readonly outputSize: number;
  /** For a network with recurrent layers: steps, the features a step holds for the layers, and whether a real-step flag follows them (`padded=true`). */
  readonly sequence?: SequenceShape;
}

export interface SequenceShape {
  readonly steps: number;
  readonly features: number;
  readonly flags: boolean;
}

/** Data that cannot be used, with the place in the file that says why (line and column from 1). */
export class DataError extends Error {
  override name = "DataError";
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }

  /** `file:line:col: error: message`, the shape compiler diagnostics have, leaving out what is not known. */
  format(): string {
    let where = this.file;
    if (this.line !== undefined) where += `:${this.line}`;
    if (this.line !== undefined && this.column !== undefined) where += `:${this.column}`;
    return `${where}: error: ${this.message}`;
  }
}

/** The leading byte-order mark that editors on Windows write is not part of the data. */
export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whether a value survives the trip into a Float32Array: NaN and out-of-range values would poison training. */
export function fitsFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}

export { subset };

/** Whether `value` names one of a network's `outputSize` classes. */
export function isClass(value: number, outputSize: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < outputSize;
}

/**
 * Shuffles the samples with a seeded Fisher–Yates permutation and holds the
 * last `testCount` of them out. The permutation depends only on the seed and
 * the size, so the same data and seed give the same split on every machine.
 */
export function shuffleAndSplit(data: Dataset, testCount: number, seed: number): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(testCount) || testCount < 0 || testCount > data.size) {
    throw new RangeError(`cannot hold out ${testCount} of ${data.size} samples`);
  }
  const order = permutation(data.size, createRandom(seed));
  const trainCount = data.size - testCount;
  return { train: subset(data, order.subarray(0, trainCount)), test: subset(data, order.subarray(trainCount)) };
}
