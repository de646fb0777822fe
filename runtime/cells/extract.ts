/**
 * Extraction of a cell network; the feature layers in front (if any) are
 * extracted as features/extract.ts does.
 *
 * Orders 0 and 1: every layer of every cell and of the head is a feature
 * map, extracted as a feature stack is (order 0: a vertex
 * `cell3.conv1:INDEX` per position × channel, channels first, and an edge
 * per live weight use; order 1: a vertex `cell3.conv1:CHANNEL` per channel,
 * its edges counting the order-0 edges they merge and the L2 norm of their
 * weights); a cell's vertices carry its graph vertex as `vertex`. What a cell
 * (or the head) reads is its inputs' last maps concatenated along channels
 * in `inputs` order, each zero-padded at the bottom and the right to the
 * largest height and width (runtime/cells): a padded position is a zero, not
 * a neuron, so no edge leaves it. The head's pooled channels `head.gap:C`
 * are layer 0 of the dense part.
 *
 * Order 2: every cell one vertex keyed by its graph vertex number
 * (attributes `layer` `cell${v}`, `vertex` v, `size` the entries of the map
 * it makes), and the head one vertex `head`. An edge joins whatever a cell
 * reads to the cell, carrying the live weights of the cell's first conv that
 * read it (`connections`) and their L2 norm, so the cells and the edges
 * among them are the graph the network was made from.
 */
import type { ExtractedGraph, ExtractionOrder } from "../extract-types.js";
import { addFeatureGraph, addFeatureStack, edgeSink, type KeyedMap } from "../features/extract.js";
import type { FeatureInfo, Model } from "../model.js";
import { concatenatedShape } from "./shapes.js";
import type { CellNetworkSpec } from "./spec.js";
import { sinkVertices } from "./spec.js";

interface CellOptions {
  readonly order: ExtractionOrder;
  readonly threshold: number;
  readonly includeInputs: boolean;
}

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

/** `maps` side by side along channels, each padded below and to the right to the largest height and width (padded positions: no key). */
export function concatenatedKeys(maps: readonly KeyedMap[]): KeyedMap {
  if (maps.length === 1) return maps[0]!;
  const shape = concatenatedShape(maps.map((m) => m.shape));
  const [, height, width] = shape;
  const keys = maps.flatMap(({ keys: own, shape: [channels, h, w] }) =>
    Array.from({ length: channels * height * width }, (_, k) => {
      const [channel, row, col] = [Math.floor(k / (height * width)), Math.floor(k / width) % height, k % width];
      return row < h && col < w ? own[(channel * h + row) * w + col] : undefined;
    }),
  );
  return { keys, shape };
}

/** Orders 0 and 1: the maps of every cell and of the head, and their edges; returns the head's last map. */
function addCellMaps(model: Model, graph: ExtractedGraph, cells: CellNetworkSpec, options: CellOptions): KeyedMap {
  const front = addFeatureGraph(model, graph, options);
  const stack = { order: options.order, threshold: options.threshold, sink: edgeSink(graph, options.order) };
  const made = new Map<number, KeyedMap>();
  for (const cell of cells.vertices) {
    const reads = cell.inputs.length === 0 ? front : concatenatedKeys(cell.inputs.map((u) => made.get(u)!));
    made.set(cell.vertex, addFeatureStack(model, graph, cell.layers, reads, { ...stack, vertex: cell.vertex }));
  }
  return addFeatureStack(model, graph, cells.head, concatenatedKeys(sinkVertices(cells).map((v) => made.get(v)!)), stack);
}

/**
 * Adds the cell network's vertices and edges to `graph`; returns the keys of
 * layer 0 (the head's pooled channels) for the dense part's edges.
 */
export function addCellGraph(model: Model, graph: ExtractedGraph, cells: CellNetworkSpec, options: CellOptions): readonly (string | undefined)[] {
  if (options.order !== 2) return addCellMaps(model, graph, cells, options).keys;
  const stem = model.spec.features ?? [];
  const front = addFeatureGraph(model, graph, options).keys[0];
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
