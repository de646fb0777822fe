/**
 * A float64 convolution written as the definition reads, loop by loop, for
 * the kernels' tests: NHWC input, HWIO weight, explicit padding.
 */
export interface ReferenceConv {
  readonly input: readonly [number, number, number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly pad: readonly [readonly [number, number], readonly [number, number]];
  readonly outChannels: number;
}

export function outputSize(conv: ReferenceConv): [number, number] {
  const [, h, w] = conv.input;
  const rows = Math.floor((h + conv.pad[0][0] + conv.pad[0][1] - (conv.kernel[0] - 1) * conv.dilation[0] - 1) / conv.stride[0]) + 1;
  const cols = Math.floor((w + conv.pad[1][0] + conv.pad[1][1] - (conv.kernel[1] - 1) * conv.dilation[1] - 1) / conv.stride[1]) + 1;
  return [rows, cols];
}

/** Calls `visit(outputIndex, inputIndex, weightIndex)` for every multiply of the convolution (inputs outside the padding skipped). */
export function forEachTap(conv: ReferenceConv, visit: (out: number, input: number, weight: number) => void): void {
  const [batch, h, w, cin] = conv.input;
  const [oh, ow] = outputSize(conv);
  const [kh, kw] = conv.kernel;
  const cout = conv.outChannels;
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < oh; r++)
      for (let c = 0; c < ow; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const y = r * conv.stride[0] + i * conv.dilation[0] - conv.pad[0][0];
            const x = c * conv.stride[1] + j * conv.dilation[1] - conv.pad[1][0];
            if (y < 0 || y >= h || x < 0 || x >= w) continue;
            for (let ci = 0; ci < cin; ci++)
              for (let co = 0; co < cout; co++) {
                visit(((b * oh + r) * ow + c) * cout + co, ((b * h + y) * w + x) * cin + ci, ((i * kw + j) * cin + ci) * cout + co);
              }
          }
}

/** y = conv(x, w ⊙ m) + bias in float64. */
export function referenceForward(conv: ReferenceConv, x: ArrayLike<number>, w: ArrayLike<number>, m: ArrayLike<number>, bias: ArrayLike<number>): Float64Array {
  const [oh, ow] = outputSize(conv);
  const y = new Float64Array(conv.input[0] * oh * ow * conv.outChannels);
  for (let k = 0; k < y.length; k++) y[k] = bias[k % conv.outChannels]!;
  forEachTap(conv, (o, i, wi) => (y[o]! += x[i]! * w[wi]! * m[wi]!));
  return y;
}

/** Gradients of Σ dy ⊙ y with respect to x, w (masked) and the bias, in float64. */
export function referenceGradients(conv: ReferenceConv, x: ArrayLike<number>, w: ArrayLike<number>, m: ArrayLike<number>, dy: ArrayLike<number>) {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(conv.outChannels);
  forEachTap(conv, (o, i, wi) => {
    dx[i]! += dy[o]! * w[wi]! * m[wi]!;
    dw[wi]! += dy[o]! * x[i]! * m[wi]!;
  });
  for (let o = 0; o < dy.length; o++) db[o % conv.outChannels]! += dy[o]!;
  return { dx, dw, db };
}
