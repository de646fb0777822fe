import { createRandom, type Random } from "../random.js";
import { permutation, requireFinite, requireInteger, subset, type Dataset } from "./dataset.js";

export interface MoonsOptions {
  /** Default 100; the upper moon gets half (rounded down), the lower the rest. */
  readonly samples?: number;
  /** Standard deviation of Gaussian noise added to each coordinate (default 0). */
  readonly noise?: number;
  readonly seed?: number;
}

export interface SpiralsOptions {
  readonly samples?: number;
  /** Number of arms, each a class (default 2). */
  readonly arms?: number;
  /** Full turns each arm makes from the centre outwards (default 1). */
  readonly turns?: number;
  readonly noise?: number;
  readonly seed?: number;
}

export interface BlobsOptions {
  readonly samples?: number;
  /** Number of clusters, each a class (default 3). */
  readonly centers?: number;
  /** Dimension of a sample (default 2). */
  readonly features?: number;
  /** Standard deviation of each cluster (default 1). */
  readonly std?: number;
  /** The interval the centres are drawn from, per coordinate (default [-10, 10]). */
  readonly box?: readonly [number, number];
  readonly seed?: number;
}

/**
 * Two interleaving half circles in the plane, labelled 0 (upper) and 1
 * (lower), as scikit-learn's make_moons draws them; shuffled with the seed.
 */
export function moons(options: MoonsOptions = {}): Dataset {
  const samples = requireInteger("samples", options.samples ?? 100, 2);
  const noise = requireFinite("noise", options.noise ?? 0, 0);
  const upper = Math.floor(samples / 2);
  const counts = [upper, samples - upper];
  const random = createRandom(options.seed ?? 0);
  return labelled(2, counts, random, (label, i, point) => {
    const angle = counts[label]! === 1 ? 0 : (Math.PI * i) / (counts[label]! - 1);
    point[0] = (label === 0 ? Math.cos(angle) : 1 - Math.cos(angle)) + noise * random.normal();
    point[1] = (label === 0 ? Math.sin(angle) : 0.5 - Math.sin(angle)) + noise * random.normal();
  });
}

/** `arms` spirals winding out of the origin, arm k labelled k, its radius growing from 0 to 1. */
export function spirals(options: SpiralsOptions = {}): Dataset {
  const arms = requireInteger("arms", options.arms ?? 2, 2);
  const samples = requireInteger("samples", options.samples ?? 100, arms);
  const turns = requireFinite("turns", options.turns ?? 1, 0);
  const noise = requireFinite("noise", options.noise ?? 0, 0);
  const counts = evenCounts(samples, arms);
  const random = createRandom(options.seed ?? 0);
  return labelled(2, counts, random, (label, i, point) => {
    const radius = (i + 0.5) / counts[label]!;
    const angle = 2 * Math.PI * (turns * radius + label / arms);
    point[0] = radius * Math.cos(angle) + noise * random.normal();
    point[1] = radius * Math.sin(angle) + noise * random.normal();
  });
}

/** Gaussian clusters around centres drawn uniformly from `box`, cluster k labelled k (scikit-learn's make_blobs). */
export function blobs(options: BlobsOptions = {}): Dataset {
  const centers = requireInteger("centers", options.centers ?? 3, 1);
  const samples = requireInteger("samples", options.samples ?? 100, centers);
  const features = requireInteger("features", options.features ?? 2, 1);
  const std = requireFinite("std", options.std ?? 1, 0);
  const [low, high] = options.box ?? [-10, 10];
  if (!(requireFinite("box's low end", low) < requireFinite("box's high end", high))) throw new RangeError(`box must have low < high, got [${low}, ${high}]`);
  const random = createRandom(options.seed ?? 0);
  const middles = Float64Array.from({ length: centers * features }, () => random.uniform(low, high));
  return labelled(features, evenCounts(samples, centers), random, (label, _i, point) => {
    for (let d = 0; d < features; d++) point[d] = middles[label * features + d]! + std * random.normal();
  });
}

/** `total` split over `parts` as evenly as can be, the first ones taking one more. */
function evenCounts(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(total / parts) + (k < total % parts ? 1 : 0));
}

/**
 * `counts[k]` samples of class k, each written by `fill(k, i, point)`, in
 * class order, then shuffled with the same random stream so any prefix holds
 * every class.
 */
function labelled(featureSize: number, counts: readonly number[], random: Random, fill: (label: number, i: number, point: Float64Array) => void): Dataset {
  const size = counts.reduce((a, b) => a + b, 0);
  const features = new Float32Array(size * featureSize);
  const classes = new Int32Array(size);
  const point = new Float64Array(featureSize);
  let next = 0;
  counts.forEach((count, label) => {
    for (let i = 0; i < count; i++, next++) {
      fill(label, i, point);
      features.set(point, next * featureSize);
      classes[next] = label;
    }
  });
  const ordered: Dataset = { size, featureSize, features, labels: { kind: "classes", classes } };
  return subset(ordered, permutation(size, random));
}
