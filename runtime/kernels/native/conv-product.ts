/**
 * The masked convolution's forward and gradients as im2col × weight on the
 * native BLAS (native/conv.c), where the addon is loaded, on and built with
 * them, and the backend is TensorFlow.js's WASM or CPU backend. On WASM the
 * addon reads and writes the backend's heap in place, as the dense products
 * do (dense-product.ts); the padding is never stored (a tap outside the input
 * reads zero), and the patches live only inside one call.
 *
 * Measured on the 28×28×16 → 32 layer (docs/benchmarks.md): TensorFlow.js's
 * WASM Conv2DBackpropInput alone took 103 of the step's ~136 ms of CPU; here
 * the input gradient is one product and a col2im.
 *
 * These are kernels without gradients of their own: masked-conv.ts calls
 * them inside its customGrad, which supplies the gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, Tensor, Tensor1D, Tensor4D, TensorInfo } from "@tensorflow/tfjs-core";
import type { SpatialPair } from "../../spec.js";
import { denseProduct, nativeDenseBlas } from "./dense-product.js";
import type { NativeBlas } from "./load.js";
import { onBackend, type NativeCall } from "../backend-memory.js";

/** Where a convolution's windows sit: masked-conv.ts's ConvGeometry has these fields. */
export interface NativeConvWindow {
  readonly kernel: SpatialPair;
  readonly stride: SpatialPair;
  readonly dilation: SpatialPair;
  /** [[top, bottom], [left, right]]: only top and left matter, the output size fixes the rest. */
  readonly pad: readonly [SpatialPair, SpatialPair];
  readonly out: SpatialPair;
}

/** The three native products on tensors; see native/conv.c. */
export interface NativeConv {
  /**
   * conv(x, w) + bias, NHWC x, HWIO w; the bias per output channel or an
   * offset [1, out rows, out cols, out] the same for every sample; with
   * `relu`, max(0, ·) of that, in the same pass over the output.
   */
  forward(x: Tensor4D, w: Tensor4D, bias: Tensor1D | Tensor4D | undefined, relu: boolean): Tensor4D;
  /** The weight's gradient, HWIO, from the input and the output's gradient. */
  filterGradient(x: Tensor4D, dy: Tensor4D): Tensor4D;
  /** The input's gradient, the input's shape, from the output's gradient and the weight. */
  inputGradient(dy: Tensor4D, w: Tensor4D): Tensor4D;
  /** The per-channel bias's gradient, Σ dy over batch, rows and columns: onesᵀ · dy on the BLAS (0.5 ms against tf.sum's 2.1 for the 28×28×32 maps of batch 32). */
  biasGradient(dy: Tensor4D): Tensor1D;
}

type ConvExports = Required<Pick<NativeBlas, "convForward" | "convFilterGradient" | "convInputGradient">>;

/** conv.c's geometry: batch, rows, cols, in, out rows, out cols, out, kh, kw, sh, sw, dh, dw, top, left. */
function geometryOf(input: readonly number[], outChannels: number, window: NativeConvWindow): number[] {
  const [batch, rows, cols, channels] = input as [number, number, number, number];
  const { kernel, stride, dilation, pad, out } = window;
  return [batch, rows, cols, channels, out[0], out[1], outChannels, kernel[0], kernel[1], stride[0], stride[1], dilation[0], dilation[1], pad[0][0], pad[1][0]];
}

interface Attributes {
  /** conv.c's geometry (geometryOf). */
  readonly geometry: number[];
  /** The forward's: whether relu follows. */
  readonly relu: boolean;
}

const FORWARD = "DeepstructNativeConvForward";
const FILTER = "DeepstructNativeConvFilterGradient";
const INPUT = "DeepstructNativeConvInputGradient";

/** Each kernel: its inputs' names, its output's shape from the geometry, and the native call. */
function kernels(conv: ConvExports): readonly [string, readonly string[], (g: number[]) => number[], (g: Int32Array, attrs: Attributes) => NativeCall][] {
  return [
    [
      FORWARD,
      ["x", "w", "bias"],
      (g) => [g[0]!, g[4]!, g[5]!, g[6]!],
      (g, { relu }) =>
        ([x, w, bias], y) =>
          conv.convForward(g, x!, w!, bias ?? null, y, relu),
    ],
    [
      FILTER,
      ["x", "dy"],
      (g) => [g[7]!, g[8]!, g[3]!, g[6]!],
      (g) =>
        ([x, dy], dw) =>
          conv.convFilterGradient(g, x!, dy!, dw),
    ],
    [
      INPUT,
      ["dy", "w"],
      (g) => [g[0]!, g[1]!, g[2]!, g[3]!],
      (g) =>
        ([dy, w], dx) =>
          conv.convInputGradient(g, dy!, w!, dx),
    ],
  ];
}

let registered = false;

function register(conv: ConvExports): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, names, outShape, native] of kernels(conv)) {
    for (const backendName of ["wasm", "cpu"]) {
      tf.registerKernel({
        kernelName,
        backendName,
        kernelFunc: ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
          const attributes = attrs as unknown as Attributes;
          const g = Int32Array.from(attributes.geometry);
          return onBackend(
            backendName,
            backend as KernelBackend,
            names.map((name) => inputs[name]),
            outShape(attributes.geometry),
            native(g, attributes),
          );
        },
      });
    }
  }
}

let enabled = true;

/** Turns the native convolution off (false) or back on where available (true), leaving the dense products as they are: for comparing the two in one process. */
export function useNativeConv(on: boolean): void {
  enabled = on;
}

/** The native products for this convolution, or undefined where they cannot run (off, no addon or an older one, another backend, an empty tensor). */
export function nativeConv(input: readonly number[], weight: readonly number[], window: NativeConvWindow): NativeConv | undefined {
  const blas = enabled ? nativeDenseBlas() : undefined;
  if (blas?.convForward === undefined || blas.convFilterGradient === undefined || blas.convInputGradient === undefined) return undefined;
  const geometry = geometryOf(input, weight[3]!, window);
  if (geometry.slice(0, 13).some((v) => v < 1) || window.pad[0][0] < 0 || window.pad[1][0] < 0) return undefined;
  register(blas as NativeBlas & ConvExports);
  const run = (name: string, inputs: Record<string, Tensor>, relu = false): Tensor4D =>
    tf.engine().runKernel(name, inputs, { geometry, relu } as unknown as NamedAttrMap) as Tensor4D;
  return {
    forward: (x, w, bias, relu) => run(FORWARD, { x, w, ...(bias === undefined ? {} : { bias }) }, relu),
    filterGradient: (x, dy) => run(FILTER, { x, dy }),
    inputGradient: (dy, w) => run(INPUT, { dy, w }),
    biasGradient: (dy) =>
      tf.tidy(() => {
        const [batch, rows, cols, channels] = dy.shape;
        const positions = batch * rows * cols;
        return tf.reshape(denseProduct(tf.ones([positions, 1]), tf.reshape(dy, [positions, channels]), { transposeA: true }), [channels]);
      }),
  };
}
