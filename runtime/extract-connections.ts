/**
 * Order 0 as typed arrays (`ConnectionList`): every kept neuron numbered
 * globally, every live connection one (source, target, weight) entry. The
 * dense part's blocks are read here; a recurrent stack in front is read by
 * recurrent/extract.ts into the same list.
 */
import type { LayerInfo, Model } from "./model.js";
import { addRecurrentConnections } from "./recurrent/extract.js";
import type { ConnectionList, ConnectionSink, ExtractOptions } from "./extract-types.js";

/** Typed arrays that double when full, so no count has to be known before reading. */
class ConnectionBuilder implements ConnectionSink {
  readonly layers: { name: string; offset: number; size: number }[] = [];
  private neurons = 0;
  private count = 0;
  private sources: Uint32Array;
  private targets: Uint32Array;
  private weights: Float32Array;

  constructor(capacity: number) {
    const size = Math.max(capacity, 16);
    [this.sources, this.targets, this.weights] = [new Uint32Array(size), new Uint32Array(size), new Float32Array(size)];
  }

  addLayer(name: string, size: number): number {
    const offset = this.neurons;
    this.layers.push({ name, offset, size });
    this.neurons += size;
    return offset;
  }

  add(source: number, target: number, weight: number): void {
    if (this.count === this.sources.length) this.grow();
    this.sources[this.count] = source;
    this.targets[this.count] = target;
    this.weights[this.count++] = weight;
  }

  private grow(): void {
    const size = this.sources.length * 2;
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
export function extractConnections(model: Model, options: Omit<ExtractOptions, "order"> = {}): ConnectionList {
  const threshold = thresholdOf(model, options.threshold);
  const list = new ConnectionBuilder(model.blocks.reduce((sum, b) => sum + model.liveConnections(b.name), 0));
  const offsets = new Map<string, number>();
  for (const [i, layer] of model.layers.entries()) {
    if (i === 0 && model.recurrent.length > 0) {
      // Layer 0 is the recurrent stack's output: the last recurrent layer's neurons (or every step's of them).
      offsets.set(layer.name, addRecurrentConnections(model, list, { threshold, includeInputs: options.includeInputs !== false }));
      continue;
    }
    if (kept(layer, options)) offsets.set(layer.name, list.addLayer(layer.name, layer.size));
  }
  for (const block of model.blocks) {
    const [rowBase, colBase] = [offsets.get(block.source), offsets.get(block.target)];
    if (rowBase === undefined || colBase === undefined) continue;
    const mask = model.getMask(block.name);
    const w = model.getWeights(block.name);
    const cols = block.targetSize;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0 || Math.abs(w[i]!) <= threshold) continue;
      const row = (i / cols) | 0;
      list.add(rowBase + row, colBase + (i - row * cols), w[i]!);
    }
  }
  return list.list();
}
