/**
 * The weights of kernels bound to run only their live connections, and which
 * entries those are: their gradient is exactly zero elsewhere, so the fused
 * Adam step (kernels/native/fused-adam.ts) updates those entries alone and the
 * switched-off ones keep their value and moments, as pruned weights should.
 * A module of its own, apart from live-edges.ts's kernels: the fused Adam
 * reads these records, and live-edges.ts imports graph/memory.ts, which
 * imports the native part (kernels/native/index.ts) the fused Adam belongs to.
 */
import type { Tensor1D, Variable } from "@tensorflow/tfjs-core";

const liveEntriesOf = new WeakMap<Variable, Tensor1D>();
/** Counts the changes to those records, so a step that keeps what it built from them (the fused Adam's plan) knows when to look again. */
let version = 0;

/** The entries of `weight` that a bound kernel runs, as an int32 tensor (undefined: all of them). */
export function liveEntries(weight: Variable): Tensor1D | undefined {
  return liveEntriesOf.get(weight);
}

/** A number that changes whenever any weight's live entries are recorded or forgotten. */
export function liveEntriesVersion(): number {
  return version;
}

/** Records `entries` (a LiveEdges' pick) as `weight`'s live ones; the returned function forgets them again (when its binding is disposed), unless another binding has since recorded its own. */
export function recordLiveEntries(weight: Variable, entries: Tensor1D): () => void {
  liveEntriesOf.set(weight, entries);
  version++;
  return () => {
    if (liveEntriesOf.get(weight) !== entries) return;
    liveEntriesOf.delete(weight);
    version++;
  };
}
