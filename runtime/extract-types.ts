/**
 * What extraction gives back and takes, apart from extract.ts so that the
 * Model type can name them without importing the code that reads a Model.
 */
import type { DirectedGraph } from "graphology";
import type { LayerKind } from "./spec.js";

export type ExtractionOrder = 0 | 1 | 2;

export interface ExtractOptions {
  readonly order: ExtractionOrder;
  /** Connections whose |weight| is at most this are left out (default: none, every live connection counts). */
  readonly threshold?: number;
  /** Include the input layer's vertices and their connections (default true). */
  readonly includeInputs?: boolean;
  /** Include the output layer's vertices and their connections (default true). */
  readonly includeOutputs?: boolean;
}

export interface ExtractedVertex {
  readonly layer: string;
  readonly index: number;
  readonly kind: LayerKind;
  readonly size: number;
  readonly vertex?: number;
}

export interface ExtractedEdge {
  /** Order 0: the connection's weight. */
  readonly weight?: number;
  /** Orders 1 and 2: live connections the edge stands for, and the L2 norm of their weights. */
  readonly connections?: number;
  readonly norm?: number;
}

export type ExtractedGraph = DirectedGraph<ExtractedVertex, ExtractedEdge>;

/**
 * Order 0 without graph objects, for very large models: every kept neuron
 * numbered globally (layers in order, `offsets[l]` the first of layer `l`),
 * every live connection as (source, target, weight) in three typed arrays.
 * About a hundred times cheaper per connection than a graphology graph.
 */
export interface ConnectionList {
  readonly layers: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
  readonly sources: Uint32Array;
  readonly targets: Uint32Array;
  readonly weights: Float32Array;
}

/**
 * Where connection-level extraction writes: layers numbered in the order
 * they are added (`addLayer` gives the first neuron's global number), and
 * connections between global numbers.
 */
export interface ConnectionSink {
  addLayer(name: string, size: number): number;
  add(source: number, target: number, weight: number): void;
}
