/**
 * Order-0 extraction from TensorFlow.js Layers models that dsc did not make
 * (deepstruct's `GraphTransform`): every neuron a vertex, and an edge for
 * every weight whose magnitude exceeds a threshold.
 *
 * Dense and Conv2D (channels last; strides, `same`/`valid` padding and
 * dilation) make edges. InputLayer, Flatten, Reshape, Dropout and Activation
 * pass their neurons through unchanged (row-major order is kept). Every other
 * layer is named in a warning; its outputs become fresh vertices with no
 * edges into them, so nothing is silently merged or dropped.
 *
 * Neurons are keyed `LAYER:INDEX`, the input `input:INDEX`; a neuron of a
 * [height, width, channels] tensor has index (h · width + w) · channels + c.
 */
import { DirectedGraph } from "graphology";
import type { ExtractedEdge, ExtractedVertex } from "./extract.js";
import { forEachConvTap } from "./kernels/conv/receptive-field.js";

/**
 * The parts of a tfjs-layers `Layer` extraction reads, said structurally so
 * the runtime's declarations do not need `@tensorflow/tfjs-layers` installed
 * (an app that never extracts from Layers models does not have it).
 */
export interface LayersLayer {
  readonly name: string;
  readonly outputShape: unknown;
  readonly inboundNodes: readonly { readonly inboundLayers: readonly { readonly name: string }[]; readonly inputShapes: unknown }[];
  getClassName(): string;
  getConfig(): object;
  getWeights(): readonly { dataSync(): ArrayLike<number> }[];
}

/** The parts of a tfjs-layers `LayersModel` extraction reads; a `LayersModel` is one. */
export interface LayersModelLike {
  readonly inputs: readonly { readonly shape: readonly (number | null)[] }[];
  readonly layers: readonly LayersLayer[];
}

export interface LayersExtraction {
  readonly graph: DirectedGraph<ExtractedVertex, ExtractedEdge>;
  /** One per layer that made no edges because it is not supported. */
  readonly warnings: readonly string[];
}

const PASS_THROUGH = new Set(["InputLayer", "Flatten", "Reshape", "Dropout", "Activation"]);

export function extractLayersGraph(model: LayersModelLike, options: { readonly threshold?: number } = {}): LayersExtraction {
  const threshold = options.threshold ?? 0;
  const graph = new DirectedGraph<ExtractedVertex, ExtractedEdge>();
  const warnings: string[] = [];
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const outputOf = new Map<string, string[]>();
  const inputKeys = addNeurons(graph, "input", "input", size(inputShape));
  const last = model.layers.at(-1);

  for (const layer of model.layers) {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length > 1) {
      warnings.push(`layer '${layer.name}' (${layer.getClassName()}) has several inputs, which extraction does not follow; its outputs have no incoming edges`);
      outputOf.set(layer.name, addNeurons(graph, layer.name, kindOf(layer, last), outputSize(layer)));
      continue;
    }
    const before = inbound[0] === undefined ? inputKeys : (outputOf.get(inbound[0].name) ?? inputKeys);
    const className = layer.getClassName();
    if (PASS_THROUGH.has(className)) {
      outputOf.set(layer.name, before);
      continue;
    }
    const after = addNeurons(graph, layer.name, kindOf(layer, last), outputSize(layer));
    outputOf.set(layer.name, after);
    if (className === "Dense" && before.length === inputSizeOf(layer)) {
      const kernel = layer.getWeights()[0]!.dataSync();
      const units = after.length;
      for (let i = 0; i < kernel.length; i++) {
        const w = kernel[i]!;
        if (Math.abs(w) > threshold) graph.addEdge(before[Math.floor(i / units)]!, after[i % units]!, { weight: w });
      }
    } else if (className === "Conv2D") {
      addConvolutionEdges(graph, layer, before, after, threshold);
    } else {
      warnings.push(`layer '${layer.name}' (${className}) is not supported by extraction; its outputs have no incoming edges`);
    }
  }
  return { graph, warnings };
}

/** Edges of a Conv2D layer: output (oh, ow, co) reads input (oh·s − pad + dh·d, ow·s − pad + dw·d, ci) through kernel[dh, dw, ci, co]. */
function addConvolutionEdges(
  graph: DirectedGraph<ExtractedVertex, ExtractedEdge>,
  layer: LayersLayer,
  before: readonly string[],
  after: readonly string[],
  threshold: number,
): void {
  const config = layer.getConfig() as unknown as { kernelSize: number[]; strides: number[]; padding: string; dilationRate: number | number[]; dataFormat?: string };
  if (config.dataFormat === "channelsFirst") throw new Error(`extraction: Conv2D layer '${layer.name}' is channels-first; only channels-last is supported`);
  const [, inH, inW, inC] = inputShapeOf(layer) as number[];
  const [, outH, outW, outC] = layer.outputShape as number[];
  const [kh, kw] = config.kernelSize as [number, number];
  const [sh, sw] = config.strides as [number, number];
  const [dh, dw] = typeof config.dilationRate === "number" ? [config.dilationRate, config.dilationRate] : (config.dilationRate as [number, number]);
  const pad = (input: number, output: number, k: number, s: number, d: number): number =>
    config.padding === "same" ? Math.floor(Math.max((output - 1) * s + (k - 1) * d + 1 - input, 0) / 2) : 0;
  const [padTop, padLeft] = [pad(inH!, outH!, kh, sh, dh), pad(inW!, outW!, kw, sw, dw)];
  const kernel = layer.getWeights()[0]!.dataSync();
  if (before.length !== inH! * inW! * inC!) throw new Error(`extraction: Conv2D layer '${layer.name}' expects ${inH! * inW! * inC!} inputs, found ${before.length}`);
  const taps = { input: [inH!, inW!, inC!], output: [outH!, outW!, outC!], kernel: [kh, kw], stride: [sh, sw], dilation: [dh, dw], padTop, padLeft } as const;
  forEachConvTap(taps, ([ih, iw, ci], [oh, ow, co], k) => {
    const w = kernel[k]!;
    if (Math.abs(w) > threshold) graph.addEdge(before[(ih * inW! + iw) * inC! + ci]!, after[(oh * outW! + ow) * outC! + co]!, { weight: w });
  });
}

function addNeurons(graph: DirectedGraph<ExtractedVertex, ExtractedEdge>, layer: string, kind: ExtractedVertex["kind"], count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const key = `${layer}:${index}`;
    graph.addNode(key, { layer, index, kind, size: 1 });
    return key;
  });
}

function kindOf(layer: LayersLayer, last: unknown): ExtractedVertex["kind"] {
  return layer === last ? "output" : "hidden";
}

function size(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, b) => a * (b ?? 1), 1);
}

function outputSize(layer: LayersLayer): number {
  return size((layer.outputShape as (number | null)[]).slice(1));
}

/** The shape of a single-input layer's input; tfjs-layers wraps it in a list. */
function inputShapeOf(layer: LayersLayer): (number | null)[] {
  const shapes = layer.inboundNodes[0]!.inputShapes as (number | null)[] | (number | null)[][];
  return (Array.isArray(shapes[0]) ? shapes[0] : shapes) as (number | null)[];
}

function inputSizeOf(layer: LayersLayer): number {
  return size(inputShapeOf(layer).slice(1));
}
