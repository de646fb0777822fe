/**
 * The native graph kernel (native/graph.c: split over rows in waves, the
 * backward a gather over each source's outgoing connections) against
 * graph.wat's (one thread; the backward a scatter over each neuron's incoming
 * connections) on one memory: a deep random structure (chains of neurons
 * reading the one just before, so hundreds of waves, and hub inputs read by
 * many neurons), activations of every kind, the backward with and without the
 * input gradient. Outputs and gradients agree within float32 rounding, and
 * two threads give the one-thread bits; a backward told which gradient rows
 * it is given (graphBackwardSeeded) writes the rest, in waves and in halves.
 */
import { afterAll, describe, expect, it } from "vitest";
import { graphCode, type GraphBackwardArgs, type WasmMemory } from "../../runtime/kernels/graph/memory.js";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { createRandom } from "../../runtime/random.js";
import { differingBits } from "./float-bits.js";

// Large enough for the native kernel to split over two threads (about a million multiply-adds).
// 8.5 MB of rows at 256 samples: in waves (from 8 MiB, native/graph.c), where 128 samples go in sample halves.
const [R, N, BATCH] = [120, 8200, 256];
// The last neurons, which the incoming gradient arrives at (the exports).
const EXPORTS = 60;

/** Incoming sources per neuron, ascending: mostly the neuron just before (a chain), some random earlier ones, some of the first few inputs (hubs). */
function structure(seed: number): { start: number[]; source: number[] } {
  const random = createRandom(seed);
  const [start, source] = [[0], [] as number[]];
  for (let v = 0; v < N; v++) {
    const picked = new Set<number>();
    if (v > 0 && random.next() < 0.8) picked.add(R + v - 1);
    const fan = 1 + Math.floor(random.next() * 5);
    while (picked.size < fan) picked.add(random.next() < 0.3 ? Math.floor(random.next() * 4) : Math.floor(random.next() * (R + v)));
    source.push(...[...picked].sort((a, b) => a - b));
    start.push(source.length);
  }
  return { start, source };
}

interface Gradients {
  readonly g: Float32Array;
  readonly dxt: Float32Array;
  readonly dweff: Float32Array;
  readonly db: Float32Array;
}

type Forward = (xt: number, r: number, h: number, n: number, bp: number, weff: number, bias: number, start: number, source: number, activated: number, kind: number) => void;
type Backward = (...args: GraphBackwardArgs) => void;

/** One memory holding a forward pass's values, and a backward run on it from the same incoming gradient each time. */
function setUp(kind: number, bp = BATCH) {
  const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly.Memory({ initial: 1280 });
  const code = graphCode(memory);
  const [f32, i32] = [new Float32Array(memory.buffer), new Int32Array(memory.buffer)];
  const { start, source } = structure(7);
  const edges = source.length;
  let top = 64;
  const alloc = (floats: number): number => [top, (top += Math.ceil(floats / 16) * 64 + 64)][0]!;
  const [xt, h, weff, bias, starts, sources, addresses] = [alloc(R * bp), alloc(N * bp), alloc(edges), alloc(N), alloc(N + 1), alloc(edges), alloc(edges)];
  const [g, g0, dxt, dweff, db, seeds] = [alloc(N * bp), alloc(N * bp), alloc(R * bp), alloc(edges), alloc(N), alloc(EXPORTS)];
  for (let j = 0; j < EXPORTS; j++) i32[seeds / 4 + j] = N - EXPORTS + j;
  const random = createRandom(2);
  for (let i = 0; i < R * bp; i++) f32[xt / 4 + i] = random.uniform(-1, 1);
  for (let v = 0; v < N; v++) f32[bias / 4 + v] = random.uniform(-0.1, 0.1);
  start.forEach((v, i) => (i32[starts / 4 + i] = v));
  source.forEach((s, q) => ((i32[sources / 4 + q] = s), (f32[weff / 4 + q] = random.uniform(-0.6, 0.6))));
  const activated = N - 30;
  code.forward(xt, R, h, N, bp, weff, bias, starts, sources, activated, kind, addresses);
  // The gradient arrives at the exports; elsewhere it starts at zero, or with `unset` at NaN (rows a seeded backward writes).
  for (let i = (N - EXPORTS) * bp; i < N * bp; i++) f32[g0 / 4 + i] = random.uniform(-1, 1);
  const run = (backward: Backward, needInput: number, unset = false): Gradients => {
    const view = new Float32Array(memory.buffer);
    view.copyWithin(g / 4, g0 / 4, g0 / 4 + N * bp);
    view.fill(0, dxt / 4, dxt / 4 + R * bp);
    if (unset) view.fill(Number.NaN, g / 4, g / 4 + (N - EXPORTS) * bp);
    if (unset) view.fill(Number.NaN, dxt / 4, dxt / 4 + R * bp);
    view.fill(Number.NaN, dweff / 4, dweff / 4 + edges);
    view.fill(Number.NaN, db / 4, db / 4 + N);
    backward(g, h, xt, R, N, bp, weff, starts, sources, activated, kind, dxt, dweff, db, needInput);
    const copy = (at: number, floats: number): Float32Array => new Float32Array(memory.buffer).slice(at / 4, at / 4 + floats);
    return { g: copy(g, N * bp), dxt: copy(dxt, R * bp), dweff: copy(dweff, edges), db: copy(db, N) };
  };
  // The forward again, from zeroed activations, by `forward` (graph.wat's or the native one).
  const forwardBy = (
    forward: (xt: number, r: number, h: number, n: number, bp: number, weff: number, bias: number, start: number, source: number, activated: number, kind: number) => void,
  ): Float32Array => {
    new Float32Array(memory.buffer).fill(0, h / 4, h / 4 + N * bp);
    forward(xt, R, h, N, bp, weff, bias, starts, sources, activated, kind);
    return new Float32Array(memory.buffer).slice(h / 4, h / 4 + N * bp);
  };
  const wat = forwardBy((...args) => code.forward(...args, addresses));
  return { memory, code, run, forwardBy, wat, seeds };
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

const blas = nativeStatus().available ? (nativeStatus() as { blas: NativeBlas }).blas : undefined;

describe.runIf(blas?.graphBackwardSeeded !== undefined)("the native graph kernel against graph.wat's on a deep structure", () => {
  afterAll(() => setNativeThreads(1));

  it.each([1, 2])("forward, activation %i: within float32 rounding of graph.wat, the same bits on two threads (in waves)", (kind) => {
    const { memory, forwardBy, wat } = setUp(kind);
    const native: Forward = (...args) => blas!.graphForward!(new Float32Array(memory.buffer), ...args);
    setNativeThreads(1);
    const one = forwardBy(native);
    setNativeThreads(2);
    const two = forwardBy(native);
    setNativeThreads(1);
    expect(worstDifference(one, wat)).toBeLessThanOrEqual(2e-5);
    expect(differingBits(two, one)).toBe(0);
    expect(one.slice((N - 1) * BATCH).some((v) => v !== 0)).toBe(true);
  });

  // 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 elu (graph.wat's numbering).
  it.each([
    [1, 1],
    [1, 0],
    [2, 1],
    [3, 0],
    [4, 1],
    [0, 1],
  ])("activation %i, input gradient %i: within float32 rounding of graph.wat, the same bits on two threads", (kind, needInput) => {
    const { memory, code, run } = setUp(kind);
    const native: Backward = (...args) => blas!.graphBackward!(new Float32Array(memory.buffer), ...args);
    const wat = run(code.backward, needInput);
    setNativeThreads(1);
    const one = run(native, needInput);
    setNativeThreads(2);
    expect(blas!.graphThreads!(one.dweff.length, BATCH)[1]).toBe(2);
    const two = run(native, needInput);
    setNativeThreads(1);
    for (const key of ["g", "dxt", "dweff", "db"] as const) {
      expect(worstDifference(one[key], wat[key]), key).toBeLessThanOrEqual(2e-5);
      expect(differingBits(two[key], one[key]), key).toBe(0);
    }
    // Not all zero: the gradient reached every depth and, when wanted, the inputs.
    expect(one.db.slice(0, 100).some((v) => v !== 0)).toBe(true);
    expect(one.dxt.some((v) => v !== 0)).toBe(needInput === 1);
  });

  // 256 samples: 8.5 MB of rows, in waves; 128: 4.2 MB, in sample halves.
  it.each([
    [256, 1],
    [256, 0],
    [128, 1],
    [128, 0],
  ])("batch %i, input gradient %i: given only the exports' gradient rows (every other row and dxt NaN), the bits of the backward given zeros", (bp, needInput) => {
    const { memory, run, seeds } = setUp(1, bp);
    const zeroed: Backward = (...args) => blas!.graphBackward!(new Float32Array(memory.buffer), ...args);
    const seeded: Backward = (...args) => blas!.graphBackwardSeeded!(new Float32Array(memory.buffer), ...args, seeds, EXPORTS);
    for (const threads of [1, 2]) {
      setNativeThreads(threads);
      const expected = run(zeroed, needInput);
      const got = run(seeded, needInput, true);
      for (const key of ["g", "dxt", "dweff", "db"] as const) {
        // Without the input gradient dxt is not written: it stays as `run` left it.
        if (key === "dxt" && needInput === 0) continue;
        expect(differingBits(got[key], expected[key]), `${key}, ${threads} thread(s)`).toBe(0);
      }
    }
    setNativeThreads(1);
  });

  it("a seeded backward refuses a seed that is not one of its neurons, before it writes anything", () => {
    const { memory, run, seeds } = setUp(1);
    const seeded: Backward = (...args) => blas!.graphBackwardSeeded!(new Float32Array(memory.buffer), ...args, seeds, EXPORTS);
    new Int32Array(memory.buffer)[seeds / 4 + 1] = N;
    expect(() => run(seeded, 1)).toThrow(/graphBackwardSeeded: seed 1 is 8200, not one of the 8200 neurons/);
  });
});
