/**
 * Pruning's way to a dense block's weights and mask where the model stores
 * them, so that magnitude pruning reads every weight without copying it out
 * of the backend and switches entries off in the mask itself — instead of
 * getWeights (a masked copy), getMask (a copy) and setMask (a check of every
 * entry and a copy back), which cost more than the ranking.
 *
 * The Model keeps its stores private; it hands pruning a lookup here when it
 * is made (model-object.ts), so the public Model API does not grow a door to
 * its storage.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Variable } from "@tensorflow/tfjs-core";
import { heapOffset, wasmHeap, type WasmBackendInternals } from "../kernels/backend-memory.js";
import type { StoredBlock } from "../storage/blocks.js";

type Lookup = (block: string) => StoredBlock | undefined;

const lookups = new WeakMap<object, Lookup>();

/** Called by the model when it is made: how pruning finds a block's storage (storage/blocks.ts storedBlock). */
export function registerStoredBlocks(model: object, lookup: Lookup): void {
  lookups.set(model, lookup);
}

/** A dense block's storage in place, or undefined (another kind of model, a learned mask, a block whose entries are not all connections: the caller copies). */
export function storedBlockOf(model: object, block: string): StoredBlock | undefined {
  return lookups.get(model)?.(block);
}

/**
 * A float32 variable's values, to read and never write: on the WASM backend
 * a view of its bytes in the heap (valid until the heap next grows: take it
 * after anything that allocates tensors), on the CPU backend the backend's
 * own array (dataSync hands it out), elsewhere a copy.
 */
export function storedFloats(variable: Variable): Float32Array {
  const size = variable.size;
  if (tf.getBackend() === "wasm") {
    const internals = tf.backend() as unknown as WasmBackendInternals;
    const offset = heapOffset(internals, variable);
    if (offset !== undefined) return new Float32Array(wasmHeap(internals), offset, size);
  }
  return variable.dataSync() as Float32Array;
}
