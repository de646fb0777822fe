import { tf } from "@deepstruct/runtime";

/** Digits as the runtime trains on them: pixels in [0, 1] (one row of 784 per digit) and class indices. */
export interface Digits {
  readonly count: number;
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
}

const IMAGE = 784;

/** Reads public/mnist.bin (see scripts/assets.js): `count` label bytes, then `count` × 784 pixel bytes. */
export async function loadDigits(url: string): Promise<Digits> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText} (run \`npm run assets\` first)`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const count = bytes.length / (IMAGE + 1);
  if (!Number.isInteger(count)) throw new Error(`${url}: ${bytes.length} bytes is not a whole number of digits (785 bytes each)`);
  const pixels = new Float32Array(count * IMAGE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[count + i]! / 255;
  return { count, pixels, labels: Int32Array.from(bytes.subarray(0, count)) };
}

/** Digits `start` … `start + count − 1` as tensors (the caller disposes them). */
export function digitTensors(digits: Digits, start: number, count: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  if (start < 0 || count < 1 || start + count > digits.count) throw new Error(`digits ${start}…${start + count - 1}: only ${digits.count} are loaded`);
  return {
    x: tf.tensor2d(digits.pixels.subarray(start * IMAGE, (start + count) * IMAGE), [count, IMAGE]),
    y: tf.tensor1d(digits.labels.subarray(start, start + count), "int32"),
  };
}
