/**
 * The masked convolution on the native addon (native/conv.c, im2col × weight
 * on OpenBLAS) against its TensorFlow.js fallback in the same process: the
 * forward and the input, weight and bias gradients agree within 1e-5
 * (relative to the largest value where sums run long), masked weights get
 * exactly 0, the native kernels are the ones that run when the addon is
 * loaded, and the addon checks its arguments. Skipped where the addon is not
 * built (`npm run build:native`).
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { maskedConv2d, type ConvGeometry } from "../../runtime/kernels/conv/masked-conv.js";
import { useNativeConv } from "../../runtime/kernels/native/conv-product.js";
import { nativeStatus } from "../../runtime/kernels/native/load.js";
import { createRandom } from "../../runtime/random.js";
import { outputSize, type ReferenceConv } from "./reference.js";

const status = nativeStatus();
const built = status.available && status.blas.convForward !== undefined;

const pad = (top: number, bottom: number, left: number, right: number): ReferenceConv["pad"] => [
  [top, bottom],
  [left, right],
];

const CASES: readonly (ReferenceConv & { readonly label: string })[] = [
  { label: "3×3 same", input: [3, 9, 8, 5], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: pad(1, 1, 1, 1), outChannels: 6 },
  { label: "3×2 stride 2 valid, non-square", input: [2, 11, 7, 3], kernel: [3, 2], stride: [2, 2], dilation: [1, 1], pad: pad(0, 0, 0, 0), outChannels: 4 },
  { label: "3×3 dilation 2 same", input: [2, 10, 9, 4], kernel: [3, 3], stride: [1, 1], dilation: [2, 2], pad: pad(2, 2, 2, 2), outChannels: 5 },
  { label: "2×3 stride (2, 3) dilation 2, uneven padding", input: [2, 9, 11, 2], kernel: [2, 3], stride: [2, 3], dilation: [2, 2], pad: pad(1, 0, 0, 1), outChannels: 3 },
  // 64 × 64 outputs × 3·3·64 taps: 2.4 M floats of patches a sample, so each sample is a block of its own (conv.c's BLOCK_FLOATS).
  { label: "several blocks of patches", input: [2, 64, 64, 64], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: pad(1, 1, 1, 1), outChannels: 3 },
  // One input channel at column stride 1: conv.c builds the patches transposed (single_channel_rows), a run per tap and output row.
  { label: "1 channel, 3×3 same (patches transposed)", input: [3, 9, 8, 1], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: pad(1, 1, 1, 1), outChannels: 5 },
  {
    label: "1 channel, 3×2 stride (2, 1) dilation (1, 2), uneven padding (patches transposed)",
    input: [2, 10, 9, 1],
    kernel: [3, 2],
    stride: [2, 1],
    dilation: [1, 2],
    pad: pad(1, 0, 2, 1),
    outChannels: 4,
  },
  // A kernel wider than the padded-away columns on both sides: taps of a row fall off the left and the right at once.
  {
    label: "1 channel, 1×5 on 3 columns, padding 2 (patches transposed)",
    input: [2, 4, 3, 1],
    kernel: [1, 5],
    stride: [1, 1],
    dilation: [1, 1],
    pad: pad(0, 0, 2, 2),
    outChannels: 2,
  },
  // 150 × 150 outputs × 81 taps: 1.8 M floats a sample, 2 samples to a block, so the 3 samples take two blocks.
  { label: "1 channel, several blocks (patches transposed)", input: [3, 150, 150, 1], kernel: [9, 9], stride: [1, 1], dilation: [1, 1], pad: pad(4, 4, 4, 4), outChannels: 2 },
];

const geometryOf = (conv: ReferenceConv): ConvGeometry => ({ kernel: conv.kernel, stride: conv.stride, dilation: conv.dilation, pad: conv.pad, out: outputSize(conv) });

interface Inputs {
  readonly x: tf.Tensor4D;
  readonly w: tf.Tensor4D;
  readonly mask: tf.Tensor4D;
  readonly bias: tf.Tensor1D | tf.Tensor4D;
  readonly dy: tf.Tensor4D;
}

function inputs(conv: ReferenceConv, offsetBias: boolean): Inputs {
  const random = createRandom(conv.input.reduce((a, b) => a * 31 + b, 11));
  const uniform = (shape: number[]): tf.Tensor =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniform(-1, 1)),
      shape,
    );
  const weightShape = [conv.kernel[0], conv.kernel[1], conv.input[3], conv.outChannels];
  const [oh, ow] = outputSize(conv);
  const mask = tf.tensor(
    Float32Array.from({ length: weightShape.reduce((a, b) => a * b, 1) }, () => (random.next() < 0.6 ? 1 : 0)),
    weightShape,
  );
  return {
    x: uniform([...conv.input]) as tf.Tensor4D,
    w: uniform(weightShape) as tf.Tensor4D,
    mask: mask as tf.Tensor4D,
    bias: (offsetBias ? uniform([1, oh, ow, conv.outChannels]) : uniform([conv.outChannels])) as tf.Tensor1D | tf.Tensor4D,
    dy: uniform([conv.input[0], oh, ow, conv.outChannels]) as tf.Tensor4D,
  };
}

/**
 * The output and the gradients of Σ output · dy for x, w and the bias, natively or not. `relu`: "fused", the
 * convolution's own option; "after", tf.relu of its output (TensorFlow.js's gradient of relu, the oracle for the fused one).
 */
function results(native: boolean, conv: ReferenceConv, t: Inputs, relu: "none" | "fused" | "after" = "none"): Float32Array[] {
  useNativeConv(native);
  try {
    return tf.tidy(() => {
      const run = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D => {
        const options = { inputNeedsGradient: true, relu: relu === "fused" };
        const y = maskedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, t.mask, b as tf.Tensor1D, geometryOf(conv), options);
        return relu === "after" ? tf.relu(y) : y;
      };
      const grads = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(x, w, b), t.dy)))([t.x, t.w, t.bias]);
      return [run(t.x, t.w, t.bias), ...grads].map((g) => g.dataSync() as Float32Array);
    });
  } finally {
    useNativeConv(true);
  }
}

/** Every |a − b| within 1e-5 of the larger of 1 and the largest |b| (long sums round in proportion to their size). */
function expectAgree(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 1;
  actual.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  });
  expect(worst).toBeLessThanOrEqual(1e-5 * scale);
}

/** The names of the kernels `f` runs. */
async function kernelNames(f: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  const profile = await tf.profile(() => {
    const out = f();
    return out;
  });
  tf.dispose(profile.result as tf.Tensor | tf.Tensor[]);
  return profile.kernels.map((k) => k.name);
}

describe.skipIf(!built).each(["wasm", "cpu"] as const)("the native masked convolution on %s", (backend) => {
  afterEach(() => useNativeConv(true));

  describe.each(CASES.filter((c) => backend === "wasm" || c.input[1] < 64))("$label", (conv) => {
    for (const offsetBias of [false, true]) {
      it(`gives the fallback's output and gradients within 1e-5, exactly 0 for masked weights (bias ${offsetBias ? "an offset map" : "per channel"})`, async () => {
        await useBackend(backend);
        const t = inputs(conv, offsetBias);
        const native = results(true, conv, t);
        const fallback = results(false, conv, t);
        native.forEach((values, i) => expectAgree(values, fallback[i]!));
        const mask = t.mask.dataSync();
        const dw = native[2]!;
        expect(mask.some((m) => m === 0)).toBe(true);
        mask.forEach((m, k) => {
          if (m === 0) expect(Math.abs(dw[k]!)).toBe(0);
        });
        expect(dw.some((v) => v !== 0)).toBe(true);
        tf.dispose(Object.values(t));
      });
    }
  });

  describe.each(CASES.filter((c) => c.input[1] < 64))("$label with relu in the product", (conv) => {
    it("gives tf.relu of the plain convolution and its gradients within 1e-5, natively and on the fallback", async () => {
      await useBackend(backend);
      const t = inputs(conv, true);
      const oracle = results(false, conv, t, "after");
      const output = oracle[0]!;
      // Enough of both signs that the gradient's cut at 0 is tested.
      expect(output.filter((v) => v === 0).length).toBeGreaterThan(output.length / 5);
      expect(output.filter((v) => v > 0).length).toBeGreaterThan(output.length / 5);
      for (const native of [true, false]) results(native, conv, t, "fused").forEach((values, i) => expectAgree(values, oracle[i]!));
      tf.dispose(Object.values(t));
    });
  });

  it("runs the native kernels when the addon is loaded, and TensorFlow.js's when turned off", async () => {
    await useBackend(backend);
    const conv = CASES[1]!;
    const t = inputs(conv, false);
    const step = (inputNeedsGradient: boolean) => (): tf.Tensor[] =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(maskedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, t.mask, t.bias, geometryOf(conv), { inputNeedsGradient })))([t.x, t.w]);
    const natives = (names: string[]): string[] => names.filter((n) => n.startsWith("DeepstructNativeConv")).sort();
    expect(natives(await kernelNames(step(true)))).toEqual(["DeepstructNativeConvFilterGradient", "DeepstructNativeConvForward", "DeepstructNativeConvInputGradient"]);
    // The first layer's input needs no gradient: no input-gradient product at all.
    expect(natives(await kernelNames(step(false)))).toEqual(["DeepstructNativeConvFilterGradient", "DeepstructNativeConvForward"]);
    useNativeConv(false);
    const stock = await kernelNames(step(true));
    expect(natives(stock)).toEqual([]);
    expect(stock).toContain("Conv2D");
    tf.dispose(Object.values(t));
  });
});

describe.skipIf(!built)("the addon's convolution entry points", () => {
  const blas = status.available ? status.blas : undefined;
  // batch 1, 4×4×2 in, 4×4 out of 3 channels, 3×3 kernel, stride 1, dilation 1, padding 1 above and left.
  const geometry = Int32Array.of(1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1);
  const x = new Float32Array(32);
  const w = new Float32Array(54);
  const y = new Float32Array(48);

  it("refuses arrays shorter than the geometry needs, naming which", () => {
    expect(() => blas!.convForward!(geometry, x.subarray(1), w, null, y)).toThrow(/convForward: x has 31 floats, the geometry needs 32/);
    expect(() => blas!.convFilterGradient!(geometry, x, y, w.subarray(2))).toThrow(/convFilterGradient: dw has 52 floats, the geometry needs 54/);
    expect(() => blas!.convInputGradient!(geometry, y.subarray(0, 40), w, x)).toThrow(/convInputGradient: dy has 40 floats, the geometry needs 48/);
  });

  it("refuses a malformed geometry", () => {
    expect(() => blas!.convForward!(Int32Array.of(1, 2, 3), x, w, null, y)).toThrow(/Int32Array of 15/);
    const zeroStride = Int32Array.from(geometry);
    zeroStride[9] = 0;
    expect(() => blas!.convForward!(zeroStride, x, w, null, y)).toThrow(/at least 1/);
    const negativePad = Int32Array.from(geometry);
    negativePad[13] = -1;
    expect(() => blas!.convForward!(negativePad, x, w, null, y)).toThrow(/must not be negative/);
  });

  it("refuses a bias of neither [out] nor [out rows, out cols, out] floats, and a relu flag that is not a boolean", () => {
    expect(() => blas!.convForward!(geometry, x, w, new Float32Array(5), y)).toThrow(/convForward: bias must have out or out rows · out cols · out floats/);
    expect(() => blas!.convForward!(geometry, x, w, null, y, 1 as unknown as boolean)).toThrow(/convForward: relu must be a boolean/);
  });

  it("adds a bias per output position, the same for every sample, and cuts at 0 with relu", () => {
    const two = Int32Array.from(geometry);
    two[0] = 2;
    const offsets = Float32Array.from({ length: 48 }, (_, k) => k - 24);
    const out = new Float32Array(96);
    blas!.convForward!(two, new Float32Array(64), w, offsets, out, true);
    expect(Array.from(out)).toEqual([...offsets, ...offsets].map((v) => Math.max(0, v)));
    blas!.convForward!(two, new Float32Array(64), w, offsets, out, false);
    expect(Array.from(out)).toEqual([...offsets, ...offsets]);
  });

  it("computes a single tap by hand: the centre weight 1 copies channel 0 to output 2, the bias added", () => {
    const ones = Float32Array.from({ length: 32 }, (_, k) => k);
    const centre = new Float32Array(54);
    centre[((1 * 3 + 1) * 2 + 0) * 3 + 2] = 1;
    const out = new Float32Array(48);
    blas!.convForward!(geometry, ones, centre, Float32Array.of(0.5, 0, -1), out);
    for (let p = 0; p < 16; p++) expect([out[p * 3], out[p * 3 + 1], out[p * 3 + 2]]).toEqual([0.5, 0, ones[p * 2]! - 1]);
  });
});
