/**
 * Pruning that pays: a sparse kernel some of whose structural connections
 * are switched off runs only its live ones. Its graph-kernel member then
 * holds the live connections (their fused rows and targets, in the store's
 * order) and multiplies a weight gathered from the store's — a view, whose
 * gradient goes back to the live connections' places; the switched-off ones
 * get exactly zero, as the masked kernel gives them. Storage does not change.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedAttrMap, Tensor, Tensor1D } from "@tensorflow/tfjs-core";
import { columnPick } from "../kernels/gather-columns.js";
import { registerWasmKernel } from "../kernels/graph/memory.js";
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

const GATHER = "DeepstructGatherEntries";
const SCATTER = "DeepstructScatterEntries";

// Written on the workspace rather than as tf.gather of a reshape: a reshape under a gradient tape saves
// (copies) the whole weight every step, and the WASM backend's gather has no gradient it can run.
registerWasmKernel(GATHER, (ws, { x, indices }) => {
  const count = indices!.shape[0]!;
  const [from, pick] = [ws.input(x!) / 4, ws.input(indices!) / 4];
  const out = ws.output([count]);
  const [f32, i32] = [ws.f32(), ws.i32()];
  for (let j = 0, at = out.pointer / 4; j < count; j++) f32[at + j] = f32[from + i32[pick + j]!]!;
  return out.finish();
});

registerWasmKernel(SCATTER, (ws, { dy, indices }, attrs) => {
  const count = indices!.shape[0]!;
  const [from, pick] = [ws.input(dy!) / 4, ws.input(indices!) / 4];
  const out = ws.output([...(attrs.shape as number[])]);
  const f32 = ws.f32();
  const i32 = ws.i32();
  const at = out.pointer / 4;
  f32.fill(0, at, at + (attrs.size as number));
  for (let j = 0; j < count; j++) f32[at + i32[pick + j]!] = f32[from + j]!;
  return out.finish();
});

/** The live connections' weights, one per live connection, from the store's weight (gradient flows back to it, zero elsewhere). */
export function liveWeight(store: KernelStore, live: LiveEdges): Tensor {
  const weight = store.weight!;
  const attrs = { shape: [...weight.shape], size: weight.size } as unknown as NamedAttrMap;
  const op = tf.customGrad((w) => ({
    value: tf.engine().runKernel(GATHER, { x: w as Tensor, indices: live.pick }) as Tensor,
    gradFunc: (dy: Tensor) => tf.engine().runKernel(SCATTER, { dy, indices: live.pick }, attrs) as Tensor,
  }));
  return op(weight) as Tensor;
}
