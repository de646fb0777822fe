import type { Random } from "../random.js";

/** Targets of a dataset: a class index per sample, or a row of `width` values per sample. */
export type Labels = { readonly kind: "classes"; readonly classes: Int32Array } | { readonly kind: "targets"; readonly width: number; readonly values: Float32Array };

/** Samples in memory: `features` is row-major `[size, featureSize]`. */
export interface Dataset {
  readonly size: number;
  readonly featureSize: number;
  readonly features: Float32Array;
  readonly labels: Labels;
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

/** A Fisher–Yates permutation of 0 … size-1 drawn from `random`; it depends only on the stream and the size. */
export function permutation(size: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** Checks an option a dataset maker takes: an integer at least `min`. */
export function requireInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** Checks an option a dataset maker takes: a finite number at least `min`. */
export function requireFinite(name: string, value: number, min = -Infinity): number {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ""}, got ${value}`);
  return value;
}
