/**
 * The shape, channels-first [channels, height, width], after each feature
 * layer. The compiler checks these with located diagnostics; the runtime
 * recomputes them at its boundary, so a spec from a file is checked too.
 */
import { axisGeometry, type AxisGeometry, type Padding } from "../kernels/conv/geometry.js";
import type { FeatureLayerSpec, SpatialPair } from "../spec.js";

export type ChannelsFirst = readonly [number, number, number];

/** A layer's window over both axes: outputs and padding per axis. */
export interface WindowGeometry {
  readonly rows: AxisGeometry;
  readonly cols: AxisGeometry;
}

/** Why a window does not fit its input, in words; undefined when it fits. */
export type ShapeProblem = { readonly kind: "kernelTooLarge" | "emptyOutput"; readonly message: string };

/** A conv or pooling layer's window geometry over an input of `height` × `width`. */
export function windowGeometry(height: number, width: number, kernel: SpatialPair, stride: SpatialPair, dilation: SpatialPair, padding: Padding): WindowGeometry {
  return {
    rows: axisGeometry(height, { kernel: kernel[0], stride: stride[0], dilation: dilation[0] }, padding),
    cols: axisGeometry(width, { kernel: kernel[1], stride: stride[1], dilation: dilation[1] }, padding),
  };
}

/** The shape after `layer` from `input`, or what is wrong with the layer's window there. */
export function layerOutputShape(input: ChannelsFirst, layer: FeatureLayerSpec): ChannelsFirst | ShapeProblem {
  const [channels, height, width] = input;
  if (layer.kind === "batchNorm") return input;
  if (layer.kind === "globalAvgPool") return [channels, 1, 1];
  const kernel = layer.kind === "conv" ? layer.kernel : layer.size;
  const dilation: SpatialPair = layer.kind === "conv" ? layer.dilation : [1, 1];
  if (kernel[0] > height || kernel[1] > width) {
    return { kind: "kernelTooLarge", message: `its ${kernel[0]}×${kernel[1]} window is larger than its ${height}×${width} input` };
  }
  const { rows, cols } = windowGeometry(height, width, kernel, layer.stride, dilation, layer.padding);
  if (rows.size === 0 || cols.size === 0) {
    const reach = `${(kernel[0] - 1) * dilation[0] + 1}×${(kernel[1] - 1) * dilation[1] + 1}`;
    return { kind: "emptyOutput", message: `its dilated window spans ${reach}, more than its ${height}×${width} input, so its output would be ${rows.size}×${cols.size}` };
  }
  return [layer.kind === "conv" ? layer.channels : channels, rows.size, cols.size];
}

/** The shapes after each layer (first: the input), or the first layer that does not fit and why. */
export function featureShapes(input: ChannelsFirst, layers: readonly FeatureLayerSpec[]): { shapes: ChannelsFirst[] } | { layer: number; problem: ShapeProblem } {
  const shapes: ChannelsFirst[] = [input];
  for (let i = 0; i < layers.length; i++) {
    const next = layerOutputShape(shapes[i]!, layers[i]!);
    if (!Array.isArray(next)) return { layer: i, problem: next as ShapeProblem };
    shapes.push(next as ChannelsFirst);
  }
  return { shapes };
}

/** Entries of a feature map: channels × height × width. */
export function mapSize(shape: ChannelsFirst): number {
  return shape[0] * shape[1] * shape[2];
}
