/**
 * One block's view of its kernel's store: masks and weights as the row-major
 * [sourceSize, targetSize] matrices the Model API speaks, read from and
 * written to the block's slice of connections. Arguments are checked by the
 * caller (model-object.ts); what is checked here is what only the layout
 * knows: which entries are connections at all.
 */
import * as tf from "@tensorflow/tfjs-core";
import { currentLive, type KernelStore } from "./kernel-store.js";
import { forEachBlockConnection, type BlockSlice } from "./layout.js";

/** A copy of a variable's values (a backend may hand out its own storage). */
export function readVariable(variable: tf.Variable): Float32Array {
  // A typed array's own copy (a memcpy), not Float32Array.from's element by element walk: ~5× faster on 10 M weights.
  return new Float32Array(variable.dataSync() as Float32Array);
}

/** Whether every entry of the block's matrix is a connection, at its own place in the slice (entry = connection − first). */
function denseSlice(store: KernelStore, slice: BlockSlice): boolean {
  return store.layout.full || slice.count === slice.sourceSize * store.layout.cols;
}

export function writeVariable(variable: tf.Variable, values: Float32Array): void {
  const next = tf.tensor(values, variable.shape, "float32");
  variable.assign(next);
  next.dispose();
}

/** Per-connection values of the block's slice spread over its [sourceSize, cols] matrix (0 off the structure). */
export function blockMatrix(store: KernelStore, slice: BlockSlice, perConnection: ArrayLike<number>): Float32Array {
  const out = new Float32Array(slice.sourceSize * store.layout.cols);
  forEachBlockConnection(store.layout, slice, (e, entry) => (out[entry] = perConnection[e]!));
  return out;
}

/** The mask the block computes with, row-major [sourceSize, cols]. */
export function blockMask(store: KernelStore, slice: BlockSlice): Uint8Array {
  const live = currentLive(store);
  if (denseSlice(store, slice)) return live.slice(slice.first, slice.first + slice.count);
  const out = new Uint8Array(slice.sourceSize * store.layout.cols);
  forEachBlockConnection(store.layout, slice, (e, entry) => (out[entry] = live[e]!));
  return out;
}

/**
 * Replaces the block's mask. An entry switched on must be one of the block's
 * structural connections (the spec's mask): nothing else has a place to
 * live, under any execution.
 * @returns undefined, or the first entry that is switched on but is not a connection.
 */
export function setBlockMask(store: KernelStore, slice: BlockSlice, mask: ArrayLike<number>): number | undefined {
  if (denseSlice(store, slice)) {
    // Every entry is a connection: nothing to refuse, and the mask is the slice as it stands (checked 0/1 by the caller).
    store.live.set(mask, slice.first);
    store.version++;
    return undefined;
  }
  const structural = new Uint8Array(mask.length);
  forEachBlockConnection(store.layout, slice, (_, entry) => (structural[entry] = 1));
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1 && structural[i] === 0) return i;
  forEachBlockConnection(store.layout, slice, (e, entry) => (store.live[e] = mask[entry]!));
  store.version++;
  return undefined;
}

/** The block's effective weights (stored weight times mask), row-major [sourceSize, cols]. */
export function blockWeights(store: KernelStore, slice: BlockSlice): Float32Array {
  if (store.weight === undefined) return new Float32Array(slice.sourceSize * store.layout.cols);
  // Read only, never written: no copy of the whole kernel's weight needed (a backend may hand out its own storage).
  const values = store.weight.dataSync() as Float32Array;
  const live = currentLive(store);
  const out = new Float32Array(slice.sourceSize * store.layout.cols);
  if (denseSlice(store, slice)) {
    for (let i = 0, e = slice.first; i < out.length; i++, e++) out[i] = live[e] === 1 ? values[e]! : 0;
    return out;
  }
  forEachBlockConnection(store.layout, slice, (e, entry) => (out[entry] = live[e] === 1 ? values[e]! : 0));
  return out;
}

/** A block's weights and static mask where the store keeps them (see storedBlock). */
export interface StoredBlock {
  /** The kernel's weight variable; the block's values are its connections first … first + live.length − 1, entry = connection − first. */
  readonly weight: tf.Variable;
  readonly first: number;
  /** The block's slice of the static mask, in place: writing it changes the block's mask. */
  readonly live: Uint8Array;
  /** Marks the mask changed after `live` was written, as setBlockMask does (views remake themselves, the binding re-plans). */
  changed(): void;
}

/**
 * The block's storage in place, for code that reads every weight and writes
 * the mask (pruning): where every entry of the block is one connection of
 * its slice, in order, and no mask of the kernel is learned (the mask
 * computed with is then the static one); else undefined.
 */
export function storedBlock(store: KernelStore, slice: BlockSlice): StoredBlock | undefined {
  if (store.weight === undefined || store.learnable !== undefined || !denseSlice(store, slice)) return undefined;
  return {
    weight: store.weight,
    first: slice.first,
    live: store.live.subarray(slice.first, slice.first + slice.count),
    changed: () => void store.version++,
  };
}

/** Stores the block's weights at its connections; entries off the structure have no place and are not kept. */
export function setBlockWeights(store: KernelStore, slice: BlockSlice, values: ArrayLike<number>): void {
  if (store.weight === undefined) return;
  const all = readVariable(store.weight);
  forEachBlockConnection(store.layout, slice, (e, entry) => (all[e] = values[entry]!));
  writeVariable(store.weight, all);
}

/** Live connections of a block, or of the whole kernel. */
export function liveCount(store: KernelStore, slice?: BlockSlice): number {
  const live = currentLive(store);
  const [start, end] = slice === undefined ? [0, live.length] : [slice.first, slice.first + slice.count];
  let n = 0;
  for (let e = start; e < end; e++) n += live[e]!;
  return n;
}
