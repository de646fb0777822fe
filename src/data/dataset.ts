import { createRandom } from "../../runtime/random.js";

/** Targets of a dataset: a class index per sample, or a row of values per sample. */
export type Labels =
  | { readonly kind: "classes"; readonly classes: Int32Array }
  | { readonly kind: "targets"; readonly width: number; readonly values: Float32Array };

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

/** Data that cannot be used, with the place in the file that says why. */
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

  /** `file:line:col: error: message`, leaving out what is not known. */
  format(): string {
    const where = [this.file, this.line, this.line === undefined ? undefined : this.column].filter((p) => p !== undefined).join(":");
    return `${where}: error: ${this.message}`;
  }
}

/** The samples at `indices`, in that order. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const features = new Float32Array(n * data.featureSize);
  for (let i = 0; i < n; i++) {
    const from = indices[i]! * data.featureSize;
    features.set(data.features.subarray(from, from + data.featureSize), i * data.featureSize);
  }
  const labels: Labels =
    data.labels.kind === "classes"
      ? { kind: "classes", classes: Int32Array.from({ length: n }, (_, i) => (data.labels as { classes: Int32Array }).classes[indices[i]!]!) }
      : subsetTargets(data.labels, indices);
  return { size: n, featureSize: data.featureSize, features, labels };
}

function subsetTargets(labels: { readonly width: number; readonly values: Float32Array }, indices: ArrayLike<number>): Labels {
  const values = new Float32Array(indices.length * labels.width);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * labels.width;
    values.set(labels.values.subarray(from, from + labels.width), i * labels.width);
  }
  return { kind: "targets", width: labels.width, values };
}

/**
 * Shuffles the samples with a seeded Fisher–Yates permutation and holds the
 * last `testCount` of them out: the same seed gives the same split everywhere.
 */
export function shuffleAndSplit(data: Dataset, testCount: number, seed: number): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(testCount) || testCount < 0 || testCount > data.size) {
    throw new RangeError(`cannot hold out ${testCount} of ${data.size} samples`);
  }
  const random = createRandom(seed);
  const order = Int32Array.from({ length: data.size }, (_, i) => i);
  for (let i = data.size - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const trainCount = data.size - testCount;
  return { train: subset(data, order.subarray(0, trainCount)), test: subset(data, order.subarray(trainCount)) };
}

/** A class label must be an integer naming one of the network's outputs. */
export function checkClass(value: number, outputSize: number, where: () => DataError): number {
  if (!Number.isInteger(value) || value < 0 || value >= outputSize) throw where();
  return value;
}
