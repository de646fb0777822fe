/**
 * The native graph kernel (native/graph.c: split over rows in waves, the
 * backward a gather over each source's outgoing connections) against
 * graph.wat's (one thread; the backward a scatter over each neuron's incoming
 * connections) on one memory: a deep random structure (chains of neurons
 * reading the one just before, so hundreds of waves, and hub inputs read by
 * many neurons), activations of every kind, the backward with and without the
 * input gradient. Outputs and gradients agree within float32 rounding, and
 * two threads give the one-thread bits.
 */
import { afterAll, describe, expect, it } from "vitest";
import { graphCode, type GraphExports, type WasmMemory } from "../../runtime/kernels/graph/memory.js";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { createRandom } from "../../runtime/random.js";
import { differingBits } from "./float-bits.js";

// Large enough for the native kernel to split over two threads (about a million multiply-adds).
const [R, N, BP] = [120, 3000, 256];

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
type Backward = GraphExports["backward"];

/** One memory holding a forward pass's values, and a backward run on it from the same incoming gradient each time. */
function setUp(kind: number) {
  const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly.Memory({ initial: 512 });
  const code = graphCode(memory);
  const [f32, i32] = [new Float32Array(memory.buffer), new Int32Array(memory.buffer)];
  const { start, source } = structure(7);
  const edges = source.length;
  let top = 64;
  const alloc = (floats: number): number => [top, (top += Math.ceil(floats / 16) * 64 + 64)][0]!;
  const [xt, h, weff, bias, starts, sources, addresses] = [alloc(R * BP), alloc(N * BP), alloc(edges), alloc(N), alloc(N + 1), alloc(edges), alloc(edges)];
  const [g, g0, dxt, dweff, db] = [alloc(N * BP), alloc(N * BP), alloc(R * BP), alloc(edges), alloc(N)];
  const random = createRandom(2);
  for (let i = 0; i < R * BP; i++) f32[xt / 4 + i] = random.uniform(-1, 1);
  for (let v = 0; v < N; v++) f32[bias / 4 + v] = random.uniform(-0.1, 0.1);
  start.forEach((v, i) => (i32[starts / 4 + i] = v));
  source.forEach((s, q) => ((i32[sources / 4 + q] = s), (f32[weff / 4 + q] = random.uniform(-0.6, 0.6))));
  const activated = N - 30;
  code.forward(xt, R, h, N, BP, weff, bias, starts, sources, activated, kind, addresses);
  // The gradient arrives at the last 60 neurons (the exports); elsewhere it starts at zero.
  for (let i = (N - 60) * BP; i < N * BP; i++) f32[g0 / 4 + i] = random.uniform(-1, 1);
  const run = (backward: Backward, needInput: number): Gradients => {
    const view = new Float32Array(memory.buffer);
    view.copyWithin(g / 4, g0 / 4, g0 / 4 + N * BP);
    view.fill(0, dxt / 4, dxt / 4 + R * BP);
    view.fill(Number.NaN, dweff / 4, dweff / 4 + edges);
    view.fill(Number.NaN, db / 4, db / 4 + N);
    backward(g, h, xt, R, N, BP, weff, starts, sources, activated, kind, dxt, dweff, db, needInput);
    const copy = (at: number, floats: number): Float32Array => new Float32Array(memory.buffer).slice(at / 4, at / 4 + floats);
    return { g: copy(g, N * BP), dxt: copy(dxt, R * BP), dweff: copy(dweff, edges), db: copy(db, N) };
  };
  // The forward again, from zeroed activations, by `forward` (graph.wat's or the native one).
  const forwardBy = (
    forward: (xt: number, r: number, h: number, n: number, bp: number, weff: number, bias: number, start: number, source: number, activated: number, kind: number) => void,
  ): Float32Array => {
    new Float32Array(memory.buffer).fill(0, h / 4, h / 4 + N * BP);
    forward(xt, R, h, N, BP, weff, bias, starts, sources, activated, kind);
    return new Float32Array(memory.buffer).slice(h / 4, h / 4 + N * BP);
  };
  const wat = forwardBy((...args) => code.forward(...args, addresses));
  return { memory, code, run, forwardBy, wat };
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

const blas = nativeStatus().available ? (nativeStatus() as { blas: NativeBlas }).blas : undefined;

describe.runIf(blas?.graphBackward !== undefined)("the native graph kernel against graph.wat's on a deep structure", () => {
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
    expect(one.slice((N - 1) * BP).some((v) => v !== 0)).toBe(true);
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
    expect(blas!.graphThreads!(one.dweff.length, BP)[1]).toBe(2);
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
});
