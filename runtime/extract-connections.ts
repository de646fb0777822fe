/**
 * Order 0 as typed arrays (`ConnectionList`): every kept neuron numbered
 * globally, every live connection one (source, target, weight) entry. The
 * dense part's blocks are read here; a recurrent stack in front is read by
 * recurrent/extract.ts into the same list. Feature maps and cells are
 * numbered from their order-0 graph instead (`connectionsOfGraph`).
 */
import type { LayerInfo, Model } from "./model.js";
import { addRecurrentConnections } from "./recurrent/extract.js";
import type { ConnectionList, ConnectionSink, ExtractedGraph, ExtractOptions } from "./extract-types.js";

/** Typed arrays that double when full, so no count has to be known before reading. */
class ConnectionBuilder implements ConnectionSink {
  readonly layers: { name: string; offset: number; size: number }[] = [];
  private neurons = 0;
  private count = 0;
  private sources: Uint32Array;
  private targets: Uint32Array;
  private weights: Float32Array;

  constructor() {
    const size = 16;
    [this.sources, this.targets, this.weights] = [new Uint32Array(size), new Uint32Array(size), new Float32Array(size)];
  }

  addLayer(name: string, size: number): number {
    const offset = this.neurons;
    this.layers.push({ name, offset, size });
    this.neurons += size;
    return offset;
  }

  add(source: number, target: number, weight: number): void {
    if (this.count === this.sources.length) this.resize(this.count * 2);
    this.sources[this.count] = source;
    this.targets[this.count] = target;
    this.weights[this.count++] = weight;
  }

  /** Room for `more` entries beyond those added, exactly (addBlock writes without checking). */
  reserve(more: number): void {
    if (this.sources.length < this.count + more) this.resize(this.count + more);
  }

  /**
   * A block's live entries above `threshold`, into room `reserve` made for
   * its live entries: entry i of the row-major [rows, cols] mask joins
   * neuron rowBase + row to colBase + col. The loop writes through locals (a
   * call per entry costs a third more on 10 million).
   */
  addBlock(block: { rowBase: number; colBase: number; cols: number }, mask: Uint8Array, w: Float32Array, threshold: number): void {
    const { rowBase, colBase, cols } = block;
    const sources = this.sources;
    const targets = this.targets;
    const weights = this.weights;
    let count = this.count;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0 || Math.abs(w[i]!) <= threshold) continue;
      const row = (i / cols) | 0;
      sources[count] = rowBase + row;
      targets[count] = colBase + (i - row * cols);
      weights[count++] = w[i]!;
    }
    this.count = count;
  }

  private resize(size: number): void {
    const [sources, targets, weights] = [new Uint32Array(size), new Uint32Array(size), new Float32Array(size)];
    sources.set(this.sources);
    targets.set(this.targets);
    weights.set(this.weights);
    [this.sources, this.targets, this.weights] = [sources, targets, weights];
  }

  list(): ConnectionList {
    const n = this.count;
    return { layers: this.layers, sources: this.sources.subarray(0, n), targets: this.targets.subarray(0, n), weights: this.weights.subarray(0, n) };
  }
}

export function thresholdOf(model: Model, threshold: number | undefined): number {
  const value = threshold ?? -1;
  if (!Number.isFinite(value)) throw new Error(`${model.name}.extractGraph: threshold must be a finite number, got ${value}`);
  return value;
}

export function kept(layer: LayerInfo, options: Omit<ExtractOptions, "order">): boolean {
  return (layer.kind !== "input" || options.includeInputs !== false) && (layer.kind !== "output" || options.includeOutputs !== false);
}

/**
 * Every live connection of the dense part, and of a recurrent stack in
 * front of it (its input features, hidden neurons and their hidden-to-hidden
 * connections: see recurrent/extract.ts), as typed arrays.
 */
export function listConnections(model: Model, options: Omit<ExtractOptions, "order"> = {}): ConnectionList {
  const threshold = thresholdOf(model, options.threshold);
  const list = new ConnectionBuilder();
  const offsets = new Map<string, number>();
  for (const [i, layer] of model.layers.entries()) {
    if (i === 0 && model.recurrent.length > 0) {
      // Layer 0 is the recurrent stack's output: the last recurrent layer's neurons (or every step's of them).
      offsets.set(layer.name, addRecurrentConnections(model, list, { threshold, includeInputs: options.includeInputs !== false }));
      continue;
    }
    if (kept(layer, options)) offsets.set(layer.name, list.addLayer(layer.name, layer.size));
  }
  const blocks = model.blocks.filter((b) => offsets.has(b.source) && offsets.has(b.target));
  // Room for every block's live connections at once: one allocation, nothing copied twice.
  list.reserve(blocks.reduce((sum, b) => sum + model.liveConnections(b.name), 0));
  for (const block of blocks) {
    const at = { rowBase: offsets.get(block.source)!, colBase: offsets.get(block.target)!, cols: block.targetSize };
    list.addBlock(at, model.getMask(block.name), model.getWeights(block.name), threshold);
  }
  return list.list();
}

/**
 * An order-0 graph as a ConnectionList: its layers (vertices' `layer`) in
 * the order their vertices were added, a neuron numbered by its layer's
 * offset plus its `index`. For models whose extraction is graph-shaped
 * (feature maps, cells), at a graph's cost per connection.
 */
export function connectionsOfGraph(graph: ExtractedGraph): ConnectionList {
  const list = new ConnectionBuilder();
  list.reserve(graph.size);
  const offsets = new Map<string, number>();
  const sizes = new Map<string, number>();
  graph.forEachNode((_key, a) => sizes.set(a.layer, Math.max(sizes.get(a.layer) ?? 0, a.index + 1)));
  for (const [layer, size] of sizes) offsets.set(layer, list.addLayer(layer, size));
  const number = (key: string): number => {
    const a = graph.getNodeAttributes(key);
    return offsets.get(a.layer)! + a.index;
  };
  graph.forEachEdge((_edge, a, source, target) => list.add(number(source), number(target), a.weight!));
  return list.list();
}
