/**
 * A cell network's forward pass over NHWC maps: every cell in topological
 * order over its predecessors' maps concatenated along channels (smaller
 * maps zero-padded at the bottom and right), the sinks concatenated the
 * same way into the head, whose global average pool gives [batch, channels].
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { channelsLastMaps, featureMaps, type FeatureOptions } from "../features/forward.js";
import type { FeatureStore } from "../features/store.js";
import type { CellStores } from "./store.js";

/** `maps` side by side along channels, each padded with zeros below and to the right to the largest height and width. */
export function concatPadded(maps: readonly Tensor4D[]): Tensor4D {
  if (maps.length === 1) return maps[0]!;
  const height = Math.max(...maps.map((m) => m.shape[1]));
  const width = Math.max(...maps.map((m) => m.shape[2]));
  const padded = maps.map((m) =>
    m.shape[1] === height && m.shape[2] === width
      ? m
      : tf.pad(m, [
          [0, 0],
          [0, height - m.shape[1]],
          [0, width - m.shape[2]],
          [0, 0],
        ]),
  );
  return tf.concat(padded, 3);
}

/**
 * The head's pooled output [batch, channels] for `x`, a batch of flattened
 * channels-first samples of `inputShape`, through the feature layers in
 * front (`stem`, possibly none) and the cells. Runs inside the caller's `tf.tidy`.
 */
export function cellForward(stem: readonly FeatureStore[], cells: CellStores, x: Tensor2D, inputShape: readonly number[], options: FeatureOptions): Tensor2D {
  const input = channelsLastMaps(x, inputShape);
  const base = stem.length === 0 ? input : featureMaps(stem, input, options, true);
  const made = new Map<number, Tensor4D>();
  for (const cell of cells.spec.vertices) {
    const source = cell.inputs.length === 0;
    const reads = source ? base : concatPadded(cell.inputs.map((u) => made.get(u)!));
    made.set(cell.vertex, featureMaps(cells.cells.get(cell.vertex)!, reads, options, source && stem.length === 0));
  }
  const pooled = featureMaps(cells.head, concatPadded(cells.sinks.map((v) => made.get(v)!)), options, false);
  return tf.reshape(pooled, [x.shape[0], pooled.shape[3]]);
}
