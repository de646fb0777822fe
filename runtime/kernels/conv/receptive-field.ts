/**
 * Which input positions each output of a convolution reads, through which
 * weight: the one definition of a receptive field, shared by extraction from
 * dsc's conv layers and from TensorFlow.js Layers Conv2D models.
 */

export interface ConvTaps {
  readonly input: readonly [number, number, number];
  readonly output: readonly [number, number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** Padding rows above and columns left of the input. */
  readonly padTop: number;
  readonly padLeft: number;
}

/** A position: [row, column, channel]. */
export type Position = readonly [number, number, number];

/**
 * Calls `visit` for every (input position, output position, HWIO weight
 * index) of the convolution whose input position lies inside the input:
 * output (r, q, o) reads input (r·sh − top + i·dh, q·sw − left + j·dw, c)
 * through weight [i, j, c, o]. Shapes are [rows, columns, channels].
 */
export function forEachConvTap(taps: ConvTaps, visit: (input: Position, output: Position, weight: number) => void): void {
  const [inRows, inCols, inChannels] = taps.input;
  const [outRows, outCols, outChannels] = taps.output;
  const [kh, kw] = taps.kernel;
  for (let r = 0; r < outRows; r++) {
    for (let q = 0; q < outCols; q++) {
      for (let i = 0; i < kh; i++) {
        const ir = r * taps.stride[0] - taps.padTop + i * taps.dilation[0];
        if (ir < 0 || ir >= inRows) continue;
        for (let j = 0; j < kw; j++) {
          const iq = q * taps.stride[1] - taps.padLeft + j * taps.dilation[1];
          if (iq < 0 || iq >= inCols) continue;
          for (let c = 0; c < inChannels; c++) {
            for (let o = 0; o < outChannels; o++) visit([ir, iq, c], [r, q, o], ((i * kw + j) * inChannels + c) * outChannels + o);
          }
        }
      }
    }
  }
}
