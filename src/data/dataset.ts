import { createRandom } from "../../runtime/random.js";

/** Targets of a dataset: a class index per sample, or a row of `width` values per sample. */
export type Labels = { readonly kind: "classes"; readonly classes: Int32Array } | { readonly kind: "targets"; readonly width: number; readonly values: Float32Array };

/** Samples in memory: `features` is row-major `[size, featureSize]`. */
export interface Dataset {
  readonly size: number;
  readonly featureSize: number;
  readonly features: Float32Array;
  readonly labels: Labels;
}

/** What a loader checks the data against: the network's input and output sizes. */
export interface DataShape {
  readonly inputSize: number;
  readonly outputSize: number;
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

/** Whether `value` names one of a network's `outputSize` classes. */
export function isClass(value: number, outputSize: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < outputSize;
}

/** The samples at `indices`, in that order. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const count = indices.length;
  return {
    size: count,
    featureSize: data.featureSize,
    features: gatherRows(data.features, data.featureSize, indices, new Float32Array(count * data.featureSize)),
    labels:
      data.labels.kind === "classes"
        ? { kind: "classes", classes: gatherRows(data.labels.classes, 1, indices, new Int32Array(count)) }
        : {
            kind: "targets",
            width: data.labels.width,
            values: gatherRows(data.labels.values, data.labels.width, indices, new Float32Array(count * data.labels.width)),
          },
  };
}

/** Copies the rows of `source` (each `width` long) at `indices` into `target`, one after another. */
function gatherRows<T extends Float32Array | Int32Array>(source: T, width: number, indices: ArrayLike<number>, target: T): T {
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * width;
    target.set(source.subarray(from, from + width), i * width);
  }
  return target;
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
  const random = createRandom(seed);
  const order = Int32Array.from({ length: data.size }, (_, i) => i);
  for (let i = data.size - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  const trainCount = data.size - testCount;
  return { train: subset(data, order.subarray(0, trainCount)), test: subset(data, order.subarray(trainCount)) };
}
