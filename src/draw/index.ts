/**
 * `drawNetwork`: a self-contained SVG picture of a network — layers left to
 * right, neurons as dots and live connections as lines, or, past a size a
 * reader can follow, neuron groups (order 1) or layers (order 2) as boxes
 * and blocks as edges labelled with their density.
 */
import type { ExtractionOrder, Model, NetworkSpec } from "../../runtime/index.js";
import { layOut } from "./layout.js";
import { buildScene, groupCount } from "./scene.js";
import { renderSvg } from "./svg.js";

export interface DrawOptions {
  /** The view: 0 neurons, 1 neuron groups, 2 layers (default: the finest one within the limits below). */
  readonly order?: ExtractionOrder;
  /** Colour connections by weight (default: true for a model, false for a spec, whose weights are only initial). */
  readonly weights?: boolean;
}

/** Past these, a picture of single neurons and connections is a grey smear: draw groups or layers instead. */
export const DRAW_LIMITS = { nodes: 400, edges: 3000 } as const;

export interface Drawing {
  readonly svg: string;
  readonly order: ExtractionOrder;
}

export async function drawNetwork(network: Model | NetworkSpec, options: DrawOptions = {}): Promise<Drawing> {
  if (!isModel(network)) {
    // Loaded here, not above: `deepstruct` exports drawNetwork, and the compiler alone must not load TensorFlow.js.
    const { createNetwork } = await import("../../runtime/network.js");
    const model = await createNetwork(network, { backend: "cpu" });
    try {
      return await drawNetwork(model, { weights: false, ...options });
    } finally {
      model.dispose();
    }
  }
  const order = options.order ?? chooseOrder(network);
  const scene = buildScene(network, order);
  const layout = await layOut(scene);
  return { svg: renderSvg(scene, layout, { weights: options.weights ?? true }), order };
}

/** Neurons when they fit, else groups when those fit, else layers; a cell network's cells (extracted at order 2 only). */
export function chooseOrder(model: Model): ExtractionOrder {
  if (model.spec.cells !== undefined) return 2;
  const neurons = model.layers.reduce((sum, layer) => sum + layer.size, 0);
  if (neurons <= DRAW_LIMITS.nodes && model.liveConnections() <= DRAW_LIMITS.edges) return 0;
  if (groupCount(model) > DRAW_LIMITS.nodes) return 2;
  return model.extractGraph({ order: 1 }).size <= DRAW_LIMITS.edges ? 1 : 2;
}

function isModel(network: Model | NetworkSpec): network is Model {
  return typeof (network as Partial<Model>).extractGraph === "function";
}
