/**
 * A cell network's forward pass over NHWC maps: every cell in topological
 * order over its predecessors' maps concatenated along channels (smaller
 * maps zero-padded at the bottom and right), the sinks concatenated the
 * same way into the head, whose global average pool gives [batch, channels].
 *
 * When every conv keeps a live output channel, the maps are carried as the
 * feature stack carries them (features/pruned-maps.ts): a channel with no
 * live weight is not computed, and what it contributes downstream (its bias
 * through batch norm and activation) is added as a constant, across the
 * concatenations too (pruned-concat.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { channelsLastMaps, featureMaps, prunedFeatureMaps, skipsPrunedChannels, type FeatureOptions } from "../features/forward.js";
import { flattenChannelsFirst, fullMaps, type PrunedMaps } from "../features/pruned-maps.js";
import type { FeatureStore } from "../features/store.js";
import { concatPrunedPadded, padBottomRight } from "./pruned-concat.js";
import type { CellStores } from "./store.js";

/** `maps` side by side along channels, each padded with zeros below and to the right to the largest height and width. */
export function concatPadded(maps: readonly Tensor4D[]): Tensor4D {
  if (maps.length === 1) return maps[0]!;
  const height = Math.max(...maps.map((m) => m.shape[1]));
  const width = Math.max(...maps.map((m) => m.shape[2]));
  return tf.concat(
    maps.map((m) => padBottomRight(m, height, width)),
    3,
  );
}

/** How one kind of map goes through a stack and a concatenation: full maps, or pruned ones. */
interface MapKind<M> {
  readonly stack: (stores: readonly FeatureStore[], maps: M, options: FeatureOptions, readsData: boolean) => M;
  /** `owner`: the first store of the stack that reads the concatenation (pruned maps remember their constants by it). */
  readonly concat: (maps: readonly M[], owner: object) => M;
}

const FULL: MapKind<Tensor4D> = { stack: featureMaps, concat: concatPadded };
const PRUNED: MapKind<PrunedMaps> = { stack: prunedFeatureMaps, concat: concatPrunedPadded };

/** The concatenated sinks after the head, from `input` (the network's input maps), through the stem and every cell. */
function headMaps<M>(kind: MapKind<M>, stem: readonly FeatureStore[], cells: CellStores, input: M, options: FeatureOptions): M {
  const base = stem.length === 0 ? input : kind.stack(stem, input, options, true);
  const made = new Map<number, M>();
  for (const cell of cells.spec.vertices) {
    const source = cell.inputs.length === 0;
    const reads = source
      ? base
      : kind.concat(
          cell.inputs.map((u) => made.get(u)!),
          cells.cells.get(cell.vertex)![0]!,
        );
    made.set(cell.vertex, kind.stack(cells.cells.get(cell.vertex)!, reads, options, source && stem.length === 0));
  }
  return kind.stack(
    cells.head,
    kind.concat(
      cells.sinks.map((v) => made.get(v)!),
      cells.head[0]!,
    ),
    options,
    false,
  );
}

/**
 * The head's pooled output [batch, channels] for `x`, a batch of flattened
 * channels-first samples of `inputShape`, through the feature layers in
 * front (`stem`, possibly none) and the cells. Runs inside the caller's `tf.tidy`.
 */
export function cellForward(stem: readonly FeatureStore[], cells: CellStores, x: Tensor2D, inputShape: readonly number[], options: FeatureOptions): Tensor2D {
  const input = channelsLastMaps(x, inputShape);
  // The head ends in a global average pool: its flattened maps are [batch, channels].
  if (skipsPrunedChannels([...stem, ...cells.all], options))
    return flattenChannelsFirst(headMaps(PRUNED, stem, cells, fullMaps(input), options), cells.head[cells.head.length - 1]!);
  const pooled = headMaps(FULL, stem, cells, input, options);
  return tf.reshape(pooled, [x.shape[0], pooled.shape[3]]);
}
