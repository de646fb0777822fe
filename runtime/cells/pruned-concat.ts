/**
 * The cells' concatenation along channels (forward.ts concatPadded), each
 * map zero-padded at the bottom and right to the largest height and width,
 * of pruned maps (features/pruned-maps.ts), whose pruned channels stay out
 * of the computed maps. A padded pruned channel is its value where its map
 * was and zero below and to the right: no longer the same everywhere, so
 * then the pruned channels become one [1, height, width, pruned] map.
 * Those constants are remembered by `owner` (the reading stack's first
 * store) while the parts' constants stay (features/remembered.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { isUniform, type PrunedMaps } from "../features/pruned-maps.js";
import { remembered } from "../features/remembered.js";

/** `map` padded with zeros below and to the right to `height` × `width`. */
export function padBottomRight(map: Tensor4D, height: number, width: number): Tensor4D {
  if (map.shape[1] === height && map.shape[2] === width) return map;
  return tf.pad(map, [
    [0, 0],
    [0, height - map.shape[1]],
    [0, width - map.shape[2]],
    [0, 0],
  ]);
}

/** The pruned channels of `maps`, concatenated in their order, as constants or (a padded one among them) as one map. */
function concatConstants(maps: readonly PrunedMaps[], height: number, width: number, owner: object): Tensor4D {
  const withPruned = maps.filter((m) => m.pruned.length > 0);
  if (withPruned.length === 0) return tf.zeros([1, 1, 1, 0]);
  const spread = withPruned.some((m) => !isUniform(m) || m.values.shape[1] !== height || m.values.shape[2] !== width);
  const part = (m: PrunedMaps): Tensor4D =>
    spread ? padBottomRight(tf.mul(tf.ones([1, m.values.shape[1], m.values.shape[2], m.pruned.length]), m.constants) as Tensor4D, height, width) : m.constants;
  const from = [...withPruned.map((m) => m.constants), height, width];
  return remembered(owner, "concatenated constants", from, () => (withPruned.length === 1 ? part(withPruned[0]!) : tf.concat(withPruned.map(part), 3)));
}

/** Pruned maps side by side along channels, as forward.ts's concatPadded puts full ones: channel c of map i is channel c + (channels of the maps before i). */
export function concatPrunedPadded(maps: readonly PrunedMaps[], owner: object): PrunedMaps {
  if (maps.length === 1) return maps[0]!;
  const height = Math.max(...maps.map((m) => m.values.shape[1]));
  const width = Math.max(...maps.map((m) => m.values.shape[2]));
  const offsets: number[] = [];
  maps.reduce((offset, m) => (offsets.push(offset), offset + m.live.length + m.pruned.length), 0);
  return {
    values: tf.concat(
      maps.map((m) => padBottomRight(m.values, height, width)),
      3,
    ),
    live: maps.flatMap((m, i) => m.live.map((c) => c + offsets[i]!)),
    pruned: maps.flatMap((m, i) => m.pruned.map((c) => c + offsets[i]!)),
    constants: concatConstants(maps, height, width, owner),
  };
}
