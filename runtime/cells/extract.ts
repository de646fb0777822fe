/**
 * A cell network at order 2: the feature layers in front as their own
 * vertices (features/extract.ts), every cell one vertex keyed by its graph
 * vertex number (attributes `layer` `cell${v}`, `vertex` v, `size` the
 * entries of the map it makes), and the head one vertex `head`. An edge
 * joins whatever a cell reads to the cell, carrying the live weights of the
 * cell's first conv that read it (`connections`) and their L2 norm, so the
 * cells and the edges among them are the graph the network was made from.
 * Orders 0 and 1 of a cell network are refused.
 */
import type { ExtractedGraph, ExtractionOrder } from "../extract-types.js";
import { addFeatureGraph } from "../features/extract.js";
import type { FeatureInfo, Model } from "../model.js";
import type { CellNetworkSpec } from "./spec.js";
import { sinkVertices } from "./spec.js";

interface Reader {
  /** The first conv of the cell (or head) that reads the concatenated maps. */
  readonly conv: string;
  /** What it reads, in concatenation order: a vertex key and its channels. */
  readonly from: readonly { readonly key: string; readonly channels: number }[];
}

function infoOf(model: Model, name: string): FeatureInfo {
  return model.features.find((f) => f.name === name)!;
}

/** Per input slice of `reader.conv`'s weights (HWIO: the input channel is the third axis), the live count and the sum of squares. */
function addReaderEdges(model: Model, graph: ExtractedGraph, reader: Reader, target: string, threshold: number): void {
  const [kh, kw, cin, cout] = infoOf(model, reader.conv).weightShape!;
  const weights = model.parameters.find((p) => p.name === `${reader.conv}.weight`)!.variable.dataSync();
  const mask = model.getMask(reader.conv);
  const channelOwner = reader.from.flatMap((f, i) => new Array<number>(f.channels).fill(i));
  const totals = reader.from.map(() => ({ connections: 0, squares: 0 }));
  for (let k = 0; k < kh * kw * cin * cout; k++) {
    const w = weights[k]!;
    if (mask[k] === 0 || Math.abs(w) <= threshold) continue;
    const total = totals[channelOwner[Math.floor(k / cout) % cin]!]!;
    total.connections++;
    total.squares += w * w;
  }
  reader.from.forEach((f, i) => {
    if (totals[i]!.connections > 0) graph.addEdge(f.key, target, { connections: totals[i]!.connections, norm: Math.sqrt(totals[i]!.squares) });
  });
}

function firstConv(layers: CellNetworkSpec["head"]): string {
  return layers.find((l) => l.kind === "conv")!.name;
}

function mapOf(model: Model, name: string): readonly [number, number, number] {
  return infoOf(model, name).outputShape;
}

/**
 * Adds the cell network's vertices and edges to `graph`; returns the keys of
 * layer 0 (the head's pooled channels) for the dense part's edges.
 */
export function addCellGraph(
  model: Model,
  graph: ExtractedGraph,
  cells: CellNetworkSpec,
  options: { readonly order: ExtractionOrder; readonly threshold: number; readonly includeInputs: boolean },
): string[] {
  if (options.order !== 2) throw new Error(`${model.name}.extractGraph: a cell network is extracted at order 2 (its cells and their edges), not order ${options.order}`);
  const stem = model.spec.features ?? [];
  const front = addFeatureGraph(model, graph, options)[0];
  const frontChannels = stem.length > 0 ? mapOf(model, stem.at(-1)!.name)[0] : model.inputShape[0]!;
  const made = new Map<number, { key: string; channels: number }>();
  for (const cell of cells.vertices) {
    const key = String(cell.vertex);
    const [c, h, w] = mapOf(model, cell.layers.at(-1)!.name);
    graph.addNode(key, { layer: `cell${cell.vertex}`, index: 0, kind: "hidden", size: c * h * w, vertex: cell.vertex });
    const from = cell.inputs.length === 0 ? (front === undefined ? [] : [{ key: front, channels: frontChannels }]) : cell.inputs.map((u) => made.get(u)!);
    addReaderEdges(model, graph, { conv: firstConv(cell.layers), from }, key, options.threshold);
    made.set(cell.vertex, { key, channels: c });
  }
  const [channels] = mapOf(model, cells.head.at(-1)!.name);
  graph.addNode("head", { layer: "head", index: 0, kind: "hidden", size: channels });
  addReaderEdges(model, graph, { conv: firstConv(cells.head), from: sinkVertices(cells).map((v) => made.get(v)!) }, "head", options.threshold);
  return new Array<string>(channels).fill("head");
}
