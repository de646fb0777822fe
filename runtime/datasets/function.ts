import { createRandom, type Random } from "../random.js";
import { requireFinite, requireInteger, type Dataset } from "./dataset.js";

export type Sampler = "uniform" | "grid";
/** A closed interval `[low, high]` of one input. */
export type Interval = readonly [number, number];
/** The function sampled: one input row in, one target (or a row of them) out. */
export type SampleFunction = (x: Float32Array) => number | readonly number[];

export interface FunctionDatasetOptions {
  /** The shape of one input; a number is a vector of that length. */
  readonly inputShape: number | readonly number[];
  /** `uniform`: the number of samples. `grid`: the total (a perfect power of the input count) or one count per input. */
  readonly samples: number | readonly number[];
  /** `uniform` (default): independent seeded draws; `grid`: evenly spaced points, ends included, the last input varying fastest. */
  readonly sampler?: Sampler;
  /** Seed of the uniform draws (default 0). */
  readonly seed?: number;
  /** One interval for every input, or one per input (default `[-1, 1]`). */
  readonly domain?: Interval | readonly Interval[];
}

/** The function gave a value that is not a finite 32-bit float at one sample. */
export class NonFiniteSampleError extends RangeError {
  override name = "NonFiniteSampleError";
  constructor(
    /** Index of the sample, from 0. */
    readonly sample: number,
    /** The input at which it happened. */
    readonly point: readonly number[],
    readonly value: number,
  ) {
    super(`the function is ${value} at sample ${sample} (x = [${point.join(", ")}])`);
  }
}

/**
 * Samples of `fn` over a box, as a dataset of targets (deepstruct's
 * FunctionalDataset): features are the points, labels what `fn` returns
 * there. The points are drawn first and rounded to 32-bit floats, and `fn`
 * sees exactly the stored point, so a target is the function at its features.
 * The same options give the same data on every machine.
 */
export function functionDataset(fn: SampleFunction, options: FunctionDatasetOptions): Dataset {
  const shape = typeof options.inputShape === "number" ? [options.inputShape] : options.inputShape;
  shape.forEach((d) => requireInteger("inputShape", d, 1));
  const inputSize = shape.reduce((a, b) => a * b, 1);
  const domain = intervals(options.domain ?? [-1, 1], inputSize);
  const features = samplePoints(options, domain);
  const size = features.length / inputSize;
  let width = 0;
  let values = new Float32Array(0);
  for (let s = 0; s < size; s++) {
    const point = features.slice(s * inputSize, (s + 1) * inputSize);
    const result = fn(point);
    const row = typeof result === "number" ? [result] : result;
    if (s === 0) {
      width = requireInteger("the number of values the function returns", row.length, 1);
      values = new Float32Array(size * width);
    } else if (row.length !== width) {
      throw new RangeError(`the function returned ${row.length} values at sample ${s}, but ${width} at sample 0`);
    }
    row.forEach((v, k) => {
      if (!Number.isFinite(Math.fround(v))) throw new NonFiniteSampleError(s, Array.from(point), v);
      values[s * width + k] = v;
    });
  }
  return { size, featureSize: inputSize, features, labels: { kind: "targets", width, values } };
}

function intervals(domain: Interval | readonly Interval[], inputSize: number): readonly Interval[] {
  const isOne = typeof domain[0] === "number";
  const list = isOne ? Array.from({ length: inputSize }, () => domain as Interval) : (domain as readonly Interval[]);
  if (list.length !== inputSize) throw new RangeError(`domain has ${list.length} intervals, but there are ${inputSize} inputs`);
  for (const [low, high] of list) {
    requireFinite("a domain's low end", low);
    requireFinite("a domain's high end", high);
    if (!(low < high)) throw new RangeError(`a domain interval must have low < high, got [${low}, ${high}]`);
  }
  return list;
}

/** The points, row-major `[size, inputs]`. */
function samplePoints(options: FunctionDatasetOptions, domain: readonly Interval[]): Float32Array {
  const sampler = options.sampler ?? "uniform";
  if (sampler === "grid") return gridPoints(gridCounts(options.samples, domain.length), domain);
  if (sampler !== "uniform") throw new RangeError(`sampler must be uniform or grid, got ${String(sampler)}`);
  if (typeof options.samples !== "number") throw new RangeError("a uniform sampler takes one number of samples");
  const size = requireInteger("samples", options.samples, 1);
  return uniformPoints(size, domain, createRandom(options.seed ?? 0));
}

function uniformPoints(size: number, domain: readonly Interval[], random: Random): Float32Array {
  const points = new Float32Array(size * domain.length);
  for (let i = 0; i < points.length; i++) {
    const [low, high] = domain[i % domain.length]!;
    points[i] = random.uniform(low, high);
  }
  return points;
}

/** Points per input of a grid: given one per input, or the `inputs`-th root of a perfect power. */
export function gridCounts(samples: number | readonly number[], inputs: number): number[] {
  if (typeof samples !== "number") {
    if (samples.length !== inputs) throw new RangeError(`a grid needs one count per input (${inputs}), got ${samples.length}`);
    return samples.map((n) => requireInteger("grid samples", n, 1));
  }
  requireInteger("samples", samples, 1);
  const side = Math.round(samples ** (1 / inputs));
  if (side ** inputs !== samples) {
    const below = Math.max(1, Math.floor(samples ** (1 / inputs)));
    throw new RangeError(
      `a grid over ${inputs} inputs has n^${inputs} points, and ${samples} is not one (${below ** inputs} or ${(below + 1) ** inputs} are); or give one count per input`,
    );
  }
  return Array.from({ length: inputs }, () => side);
}

function gridPoints(counts: readonly number[], domain: readonly Interval[]): Float32Array {
  const inputs = counts.length;
  const size = counts.reduce((a, b) => a * b, 1);
  const points = new Float32Array(size * inputs);
  const index = new Array<number>(inputs).fill(0);
  for (let s = 0; s < size; s++) {
    for (let d = 0; d < inputs; d++) {
      const [low, high] = domain[d]!;
      const n = counts[d]!;
      points[s * inputs + d] = n === 1 ? (low + high) / 2 : low + ((high - low) * index[d]!) / (n - 1);
    }
    // Count up like an odometer, the last input fastest.
    for (let d = inputs - 1; d >= 0 && ++index[d]! === counts[d]; d--) index[d] = 0;
  }
  return points;
}
