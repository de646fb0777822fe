import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { maskedConv2d, type ConvGeometry } from "../../runtime/kernels/conv/masked-conv.js";
import { createRandom } from "../../runtime/random.js";
import { outputSize, referenceForward, referenceGradients, type ReferenceConv } from "./reference.js";

const CASES: readonly (ReferenceConv & { readonly label: string })[] = [
  {
    label: "3×3, stride 1, same",
    input: [2, 6, 5, 3],
    kernel: [3, 3],
    stride: [1, 1],
    dilation: [1, 1],
    pad: [
      [1, 1],
      [1, 1],
    ],
    outChannels: 4,
  },
  {
    label: "3×2, stride 2, valid, non-square",
    input: [2, 7, 6, 2],
    kernel: [3, 2],
    stride: [2, 2],
    dilation: [1, 1],
    pad: [
      [0, 0],
      [0, 0],
    ],
    outChannels: 3,
  },
  {
    label: "3×3, dilation 2, uneven padding",
    input: [1, 8, 7, 2],
    kernel: [3, 3],
    stride: [1, 1],
    dilation: [2, 2],
    pad: [
      [2, 1],
      [1, 2],
    ],
    outChannels: 3,
  },
  {
    label: "2×3, stride (2, 3) and dilation 2 together",
    input: [2, 9, 11, 2],
    kernel: [2, 3],
    stride: [2, 3],
    dilation: [2, 2],
    pad: [
      [1, 0],
      [0, 1],
    ],
    outChannels: 2,
  },
  {
    label: "1×1, stride 2",
    input: [3, 5, 5, 4],
    kernel: [1, 1],
    stride: [2, 2],
    dilation: [1, 1],
    pad: [
      [0, 0],
      [0, 0],
    ],
    outChannels: 5,
  },
];

function geometryOf(conv: ReferenceConv): ConvGeometry {
  return { kernel: conv.kernel, stride: conv.stride, dilation: conv.dilation, pad: conv.pad, out: outputSize(conv) };
}

function values(length: number, random: ReturnType<typeof createRandom>): Float32Array {
  return Float32Array.from({ length }, () => random.uniform(-1, 1));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let k = 0; k < actual.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  expect(worst).toBeLessThan(tolerance);
}

describe.each(["cpu", "wasm"] as const)("the masked convolution on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe.each(CASES)("$label", (conv) => {
    const random = createRandom(conv.input.reduce((a, b) => a * 31 + b, 7));
    const [kh, kw] = conv.kernel;
    const cin = conv.input[3];
    const weightShape = [kh, kw, cin, conv.outChannels] as const;
    const weightSize = weightShape.reduce((a, b) => a * b, 1);
    const x = values(
      conv.input.reduce((a, b) => a * b, 1),
      random,
    );
    const w = values(weightSize, random);
    const m = Float32Array.from({ length: weightSize }, () => (random.next() < 0.6 ? 1 : 0));
    const bias = values(conv.outChannels, random);
    const [oh, ow] = outputSize(conv);
    const dy = values(conv.input[0] * oh * ow * conv.outChannels, random);

    const run = (xs: Float32Array, ws: Float32Array): tf.Tensor4D =>
      maskedConv2d(tf.tensor4d(xs, [...conv.input]), tf.tensor4d(ws, [...weightShape]), tf.tensor4d(m, [...weightShape]), tf.tensor1d(bias), geometryOf(conv), {
        inputNeedsGradient: true,
      });

    it("computes conv(x, w ⊙ mask) + bias as the float64 reference does", () => {
      const y = tf.tidy(() => run(x, w).dataSync());
      expectClose(y, referenceForward(conv, x, w, m, bias), 1e-5);
    });

    it("gives the reference's gradients for x, w and the bias, and exactly 0 for every masked weight", () => {
      const [dx, dw, db] = tf.tidy(() => {
        const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
          const out = maskedConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, tf.tensor4d(m, [...weightShape]), bb as tf.Tensor1D, geometryOf(conv), { inputNeedsGradient: true });
          return tf.sum(tf.mul(out, tf.tensor4d(dy, out.shape)));
        })([tf.tensor4d(x, [...conv.input]), tf.tensor4d(w, [...weightShape]), tf.tensor1d(bias)]);
        return grads.map((g) => g.dataSync());
      });
      const expected = referenceGradients(conv, x, w, m, dy);
      expectClose(dx!, expected.dx, 1e-4);
      expectClose(dw!, expected.dw, 1e-4);
      expectClose(db!, expected.db, 1e-4);
      m.forEach((live, k) => {
        // -0 is exactly 0 too (a masked product of a negative gradient).
        if (live === 0) expect(Math.abs(dw![k]!)).toBe(0);
      });
    });

    it("matches central finite differences of a non-linear loss for live weights and inputs", () => {
      const loss = (xs: Float32Array, ws: Float32Array): number => tf.tidy(() => tf.sum(tf.sin(run(xs, ws))).dataSync()[0]!);
      const [dx, dw] = tf.tidy(() =>
        tf
          .grads((xx: tf.Tensor, ww: tf.Tensor) =>
            tf.sum(tf.sin(maskedConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, tf.tensor4d(m, [...weightShape]), tf.tensor1d(bias), geometryOf(conv), { inputNeedsGradient: true }))),
          )([tf.tensor4d(x, [...conv.input]), tf.tensor4d(w, [...weightShape])])
          .map((g) => g.dataSync()),
      );
      const eps = 1e-2;
      const probe = (array: Float32Array, k: number, other: (a: Float32Array) => number): number => {
        const plus = Float32Array.from(array);
        const minus = Float32Array.from(array);
        plus[k]! += eps;
        minus[k]! -= eps;
        return (other(plus) - other(minus)) / (2 * eps);
      };
      for (let n = 0; n < 6; n++) {
        const wk = Math.floor(random.next() * w.length);
        if (m[wk] === 1)
          expect(dw![wk]).toBeCloseTo(
            probe(w, wk, (ws) => loss(x, ws)),
            2,
          );
        const xk = Math.floor(random.next() * x.length);
        expect(dx![xk]).toBeCloseTo(
          probe(x, xk, (xs) => loss(xs, w)),
          2,
        );
      }
    });
  });
});
