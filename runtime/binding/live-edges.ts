/**
 * Pruning that pays: a sparse kernel some of whose structural connections
 * are switched off runs only its live ones. Its graph-kernel member then
 * holds the live connections (their fused rows and targets, in the store's
 * order) and multiplies a weight gathered from the store's — a view, whose
 * gradient goes back to the live connections' places; the switched-off ones
 * get exactly zero, as the masked kernel gives them. Storage does not change.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { columnPick, gatherColumns } from "../kernels/gather-columns.js";
import type { KernelStore } from "../storage/kernel-store.js";

export interface LiveEdges {
  /** Each live connection's fused row and target column. */
  readonly rows: Int32Array;
  readonly targets: Int32Array;
  /** Which of the store's connections each one is, ascending (as an int32 pick of the weight's entries). */
  readonly pick: Tensor1D;
}

/** The store's live connections (`store.live`: learnable masks never run sparse). */
export function liveEdges(store: KernelStore): LiveEdges {
  const { rows, targets } = store.layout.edges();
  const connections: number[] = [];
  store.live.forEach((on, e) => {
    if (on === 1) connections.push(e);
  });
  return {
    rows: Int32Array.from(connections, (e) => rows[e]!),
    targets: Int32Array.from(connections, (e) => targets[e]!),
    pick: columnPick(connections),
  };
}

/** The live connections' weights, one per live connection, from the store's weight (gradient flows back to it). */
export function liveWeight(store: KernelStore, live: LiveEdges): Tensor {
  const weight = store.weight!;
  const row = tf.reshape(weight, [1, weight.size]) as Tensor2D;
  return tf.reshape(gatherColumns(row, live.pick), [live.pick.size]);
}
