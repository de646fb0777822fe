/**
 * The graph kernels' scratch space on WASM (runtime/kernels/graph/memory.ts
 * scratchSpace): one block of the backend's heap kept from call to call.
 * Each scratch is zeroed however the last call left the block, the scratches
 * of one call do not overlap, a later call reuses the block (no allocator
 * call), a call wanting more grows it, and a kernel run inside another's
 * workspace gets memory apart from the outer one's. A buffer kept for
 * `keptZeros` is the same from call to call, zero however the call before
 * left it, and handed to one call at a time. Scratches, kept buffers and outputs all start on a 64-byte cache line, and an
 * output disposed gives its memory back to the allocator.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import type { NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import { useBackend } from "../../runtime/index.js";
import { registerWasmKernel, releaseKeptZeros, type Workspace } from "../../runtime/kernels/graph/memory.js";

const DIRTY = "TestScratchDirty";
const KEPT = "TestKeptZeros";
const NESTED = "TestScratchNested";

/** Per scratch of `sizes` (bytes): its address, and whether it read all zeros; then each is filled with 7s. */
function takeAndDirty(ws: Workspace, sizes: readonly number[]): { pointers: number[]; zeroed: boolean } {
  const pointers = sizes.map((bytes) => ws.scratch(bytes));
  const bytes = new Uint8Array(ws.f32().buffer);
  const zeroed = pointers.every((p, i) => bytes.subarray(p, p + sizes[i]!).every((b) => b === 0));
  pointers.forEach((p, i) => bytes.fill(7, p, p + sizes[i]!));
  return { pointers, zeroed };
}

/** The scratches' addresses and a zero flag as an int32 output: [zeroed, ...pointers]. */
function report(ws: Workspace, pointers: readonly number[], zeroed: boolean): TensorInfo {
  const out = ws.output([pointers.length + 1], "int32");
  ws.i32().set([zeroed ? 1 : 0, ...pointers], out.pointer / 4);
  return out.finish();
}

registerWasmKernel(DIRTY, (ws, _inputs, attrs) => {
  const { pointers, zeroed } = takeAndDirty(ws, attrs.sizes as number[]);
  return report(ws, pointers, zeroed);
});

// Takes a scratch, runs DIRTY inside its own workspace, and checks its scratch is still 7s afterwards.
registerWasmKernel(NESTED, (ws, inputs, attrs) => {
  const { pointers } = takeAndDirty(ws, [256]);
  const inner = tf.getKernel(DIRTY, "wasm")!.kernelFunc({ inputs, backend: tf.backend(), attrs }) as TensorInfo;
  const untouched = new Uint8Array(ws.f32().buffer).subarray(pointers[0]!, pointers[0]! + 256).every((b) => b === 7);
  const innerValues = Array.from(tf.engine().makeTensorFromTensorInfo(inner).dataSync());
  return report(ws, [...pointers, ...innerValues.slice(1)], untouched && innerValues[0] === 1);
});

/** The key of the buffers KEPT takes. */
const KEY = {};

/**
 * Takes the buffer kept under KEY (`bytes`), reports [its address, whether it was all zeros, whether a second take in the
 * same call was refused], fills it with 7s and, with `again`, zeroes it again.
 */
registerWasmKernel(KEPT, (ws, _inputs, attrs) => {
  const bytes = attrs.bytes as number;
  const kept = ws.keptZeros!(KEY, bytes)!;
  const view = new Uint8Array(ws.f32().buffer, kept.pointer, bytes);
  const zeroed = view.every((b) => b === 0);
  const refused = ws.keptZeros!(KEY, bytes) === undefined;
  view.fill(7);
  if (attrs.again as boolean) kept.zeroAgain();
  return report(ws, [kept.pointer, refused ? 1 : 0], zeroed);
});

const run = (kernel: string, sizes: readonly number[]): number[] =>
  tf.tidy(() => Array.from((tf.engine().runKernel(kernel, { x: tf.zeros([1]) }, { sizes } as unknown as NamedAttrMap) as tf.Tensor).dataSync()));

const overlaps = (pointers: readonly number[], sizes: readonly number[]): boolean =>
  pointers.some((p, i) => pointers.some((q, j) => i !== j && p < q + sizes[j]! && q < p + sizes[i]!));

describe("graph kernel scratch space on WASM", () => {
  it("hands out zeroed, separate scratches from one block kept across calls, and grows it", async () => {
    await useBackend("wasm");
    const sizes = [40, 4096, 3, 1000];
    // The first call makes the block (a fresh process's first call, or a block too small from an earlier test).
    const first = run(DIRTY, [...sizes, 200_000]);
    const second = run(DIRTY, sizes);
    const third = run(DIRTY, sizes);
    expect(first[0]).toBe(1);
    // The block the call before left full of 7s is zero again.
    expect([second[0], third[0]]).toEqual([1, 1]);
    expect(overlaps(second.slice(1), sizes)).toBe(false);
    // The same block, cut the same way, in whole 64-byte cache lines, each scratch starting on one.
    expect(third.slice(1)).toEqual(second.slice(1));
    expect(second.slice(2).map((p, i) => p - second[i + 1]!)).toEqual([64, 4096, 64]);
    expect([...first.slice(1), ...second.slice(1)].map((p) => p % 64)).toEqual(Array.from({ length: 9 }, () => 0));
    const wasm = (tf.backend() as unknown as { wasm: { _malloc(bytes: number): number } }).wasm;
    const malloc = wasm._malloc;
    // The allocator's calls of at least 128 bytes: a scratch's (its 64-byte line and one more to align it; the input and
    // the output here, a few words and a line, are smaller).
    let calls = 0;
    wasm._malloc = (bytes) => (bytes >= 128 && calls++, malloc(bytes));
    try {
      run(DIRTY, sizes);
      expect(calls).toBe(0);
      const larger = [...sizes, 400_000];
      const grown = run(DIRTY, larger);
      expect(grown[0]).toBe(1);
      expect(overlaps(grown.slice(1), larger)).toBe(false);
      calls = 0;
      const again = run(DIRTY, larger);
      expect(calls).toBe(0);
      expect(again[0]).toBe(1);
    } finally {
      wasm._malloc = malloc;
    }
  });

  it("keeps a zeroed buffer from call to call, zero whether or not the call before zeroed it again, one call at a time", async () => {
    await useBackend("wasm");
    const kept = (bytes: number, again: boolean): number[] =>
      tf.tidy(() => Array.from((tf.engine().runKernel(KEPT, { x: tf.zeros([1]) }, { bytes, again } as unknown as NamedAttrMap) as tf.Tensor).dataSync()));
    const first = kept(4096, true);
    const second = kept(4096, false);
    const third = kept(4096, true);
    // [zeroed, pointer, refused]: zero every time (the third after a call that left 7s), the same buffer, a second take refused.
    expect([first[0], second[0], third[0]]).toEqual([1, 1, 1]);
    expect([second[1], third[1]]).toEqual([first[1], first[1]]);
    expect([first[2], second[2], third[2]]).toEqual([1, 1, 1]);
    // Another size: a buffer of that size, zeroed.
    const larger = kept(3 * 4096, true);
    expect(larger[0]).toBe(1);
    // Each starting on a cache line, whatever the allocator returned.
    expect([first[1]! % 64, larger[1]! % 64]).toEqual([0, 0]);
    releaseKeptZeros(KEY);
    expect(kept(4096, false)[0]).toBe(1);
    releaseKeptZeros(KEY);
  });

  it("hands out outputs that start on a cache line and gives their memory back when they are disposed", async () => {
    await useBackend("wasm");
    const backend = tf.backend() as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } }; wasm: { _malloc(bytes: number): number; _free(pointer: number): void } };
    const offsets: number[] = [];
    const sized = (rows: number): void => {
      const out = tf.engine().runKernel(DIRTY, { x: tf.zeros([1]) }, { sizes: Array.from({ length: rows }, () => 16) } as unknown as NamedAttrMap) as tf.Tensor;
      offsets.push(backend.dataIdMap.get(out.dataId).memoryOffset);
      out.dispose();
    };
    // Outputs of 2 … 41 words, each disposed before the next: each on a line, and each one's memory free again after.
    for (let rows = 1; rows <= 40; rows++) tf.tidy(() => sized(rows));
    expect(offsets.map((p) => p % 64)).toEqual(offsets.map(() => 0));
    const probe = backend.wasm._malloc(1 << 20);
    backend.wasm._free(probe);
    for (let i = 0; i < 2000; i++) tf.tidy(() => sized(40));
    // 2,000 outputs made and disposed in turn leave the heap as it was: the same megabyte comes back from the allocator.
    const again = backend.wasm._malloc(1 << 20);
    backend.wasm._free(again);
    expect(again).toBe(probe);
  });

  it("gives a kernel run inside another's workspace memory apart from the outer scratch", async () => {
    await useBackend("wasm");
    const sizes = [512, 64];
    const values = run(NESTED, sizes);
    expect(values[0]).toBe(1);
    const [outer, ...inner] = values.slice(1);
    expect(overlaps([outer!, ...inner], [256, ...sizes])).toBe(false);
  });
});
