/**
 * The arithmetic of sliding windows (convolutions and pooling), shared by the
 * compiler's shape checks and the runtime's kernels so the two can never
 * disagree. Padding follows TensorFlow's rule: `same` gives ceil(in / stride)
 * outputs and puts the odd padding row or column after the input; `valid`
 * keeps every window inside the input.
 */

/** One spatial axis of a window: its size, step and spacing between taps. */
export interface WindowAxis {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
}

export type Padding = "same" | "valid";

/** Outputs along an axis, and the padding before and after the input that gives them. */
export interface AxisGeometry {
  readonly size: number;
  readonly before: number;
  readonly after: number;
}

/** The extent of a window's taps: (kernel − 1) · dilation + 1. */
export function effectiveKernel(axis: WindowAxis): number {
  return (axis.kernel - 1) * axis.dilation + 1;
}

/** Outputs and padding along one axis of `input` positions; size 0 when a valid window does not fit. */
export function axisGeometry(input: number, axis: WindowAxis, padding: Padding): AxisGeometry {
  const extent = effectiveKernel(axis);
  if (padding === "valid") {
    const size = input < extent ? 0 : Math.floor((input - extent) / axis.stride) + 1;
    return { size, before: 0, after: 0 };
  }
  const size = Math.ceil(input / axis.stride);
  const total = Math.max((size - 1) * axis.stride + extent - input, 0);
  const before = Math.floor(total / 2);
  return { size, before, after: total - before };
}
