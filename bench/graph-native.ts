/**
 * The graph kernel's own forward and backward, native (native/graph.c: the
 * backward a gather over each source's outgoing connections) against graph.wat's, on one memory in one process: the kernel
 * of LeNet-300-100 with 95% of its weights pruned by global magnitude (784 →
 * 300 → 100 → 10 as one graph kernel: 1,181 + 11,501 + 628 connections drawn
 * at random, 700 inputs read), batch 256, relu; the native kernel on one
 * thread and on two (split over samples, as its rows fit the cores' caches). Each the least CPU time (summed over
 * threads) and the least wall time over 5 interleaved rounds of the mean of
 * 100 calls; the backward's gradient buffer is restored before each call
 * (outside the timing). Then the native kernel's calibration (below).
 */
import { graphCode, type WasmMemory } from "../runtime/kernels/graph/memory.js";
import { nativeStatus, setNativeThreads, useNativeGraph } from "../runtime/kernels/native/index.js";
import { createRandom } from "../runtime/random.js";
import { disposeGraphStructure, graphKernel, graphStructure } from "../runtime/kernels/graph/graph-kernel.js";
import { SPARSE_PER_EDGE, SPARSE_PER_NEURON } from "../runtime/kernels/calibration.js";
import { tf, useBackend } from "../runtime/index.js";
import { leastSquares } from "./kernels.js";
import { interleavedMinimum, row } from "./timing.js";

const [R, LAYERS, BP] = [700, [300, 100, 10] as const, 256];
const FAN_IN = [(v: number) => (v < 281 ? 4 : 3), () => 115, () => 63];

/** Incoming sources per neuron, ascending: each layer from the one before (the first from the inputs). */
function structure(): { start: number[]; source: number[] } {
  const random = createRandom(1);
  const [start, source] = [[0], [] as number[]];
  let [from, size] = [0, R];
  LAYERS.forEach((count, layer) => {
    for (let v = 0; v < count; v++) {
      const picked = new Set<number>();
      while (picked.size < FAN_IN[layer]!(v)) picked.add(from + Math.floor(random.next() * size));
      source.push(...[...picked].sort((a, b) => a - b));
      start.push(source.length);
    }
    [from, size] = [layer === 0 ? R : from + size, count];
  });
  return { start, source };
}

/** The kernel alone, native against graph.wat, on one memory. */
function kernelAlone(): string[] {
  const status = nativeStatus();
  if (!status.available || status.blas.graphBackward === undefined) return [`the native graph kernel is unavailable (${status.available ? "an older build" : status.reason})`];
  const blas = status.blas;
  const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly.Memory({ initial: 2048 });
  const code = graphCode(memory);
  const [f32, i32] = [new Float32Array(memory.buffer), new Int32Array(memory.buffer)];
  const { start, source } = structure();
  const [n, edges, activated] = [LAYERS[0] + LAYERS[1] + LAYERS[2], source.length, LAYERS[0] + LAYERS[1]];
  let top = 64;
  const alloc = (floats: number): number => [top, (top += Math.ceil(floats / 16) * 64 + 64)][0]!;
  const [xt, h, weff, bias, starts, sources, addresses] = [alloc(R * BP), alloc(n * BP), alloc(edges), alloc(n), alloc(n + 1), alloc(edges), alloc(edges)];
  const [g, g0, dxt, dweff, db] = [alloc(n * BP), alloc(n * BP), alloc(R * BP), alloc(edges), alloc(n)];
  const random = createRandom(2);
  for (let i = 0; i < R * BP; i++) f32[xt / 4 + i] = random.next();
  start.forEach((v, i) => (i32[starts / 4 + i] = v));
  source.forEach((s, q) => ((i32[sources / 4 + q] = s), (f32[weff / 4 + q] = random.uniform(-0.5, 0.5))));
  code.forward(xt, R, h, n, BP, weff, bias, starts, sources, activated, 1, addresses);
  for (let i = activated * BP; i < n * BP; i++) f32[g0 / 4 + i] = random.uniform(-0.5, 0.5);
  const native = {
    forward: () => blas.graphForward!(new Float32Array(memory.buffer), xt, R, h, n, BP, weff, bias, starts, sources, activated, 1),
    backward: () => blas.graphBackward!(new Float32Array(memory.buffer), g, h, xt, R, n, BP, weff, starts, sources, activated, 1, dxt, dweff, db, 0),
  };
  const sides = [
    {
      label: "graph.wat (WASM SIMD, backward row by row)",
      threads: 1,
      forward: () => code.forward(xt, R, h, n, BP, weff, bias, starts, sources, activated, 1, addresses),
      backward: () => code.backward(g, h, xt, R, n, BP, weff, starts, sources, activated, 1, dxt, dweff, db, 0),
    },
    { label: "native/graph.c (backward a gather over sources), 1 thread", threads: 1, ...native },
    { label: "native/graph.c, 2 threads (split over samples: its rows fit the caches)", threads: 2, ...native },
  ];
  const best = sides.map(() => ({ forward: { cpu: Infinity, wall: Infinity }, backward: { cpu: Infinity, wall: Infinity } }));
  for (let round = 0; round < 5; round++) {
    sides.forEach((side, k) => {
      setNativeThreads(side.threads);
      for (const pass of ["forward", "backward"] as const) {
        let [cpu, wall] = [0, 0];
        for (let i = 0; i < 100; i++) {
          if (pass === "backward") f32.copyWithin(g / 4, g0 / 4, g0 / 4 + n * BP);
          const [before, start] = [process.cpuUsage(), process.hrtime.bigint()];
          side[pass]();
          wall += Number(process.hrtime.bigint() - start) / 1000;
          const after = process.cpuUsage(before);
          cpu += after.user + after.system;
        }
        best[k]![pass] = { cpu: Math.min(best[k]![pass].cpu, cpu / 100), wall: Math.min(best[k]![pass].wall, wall / 100) };
      }
    });
  }
  setNativeThreads(1);
  const [wat, one, two] = best as [(typeof best)[0], (typeof best)[0], (typeof best)[0]];
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  return [
    `${edges.toLocaleString("en-US")} connections, ${n} neurons, ${R} inputs, batch ${BP}; least CPU time (all threads) and least wall time of 5 interleaved rounds, mean of 100 calls each`,
    "",
    row(["graph kernel", "forward CPU (µs)", "forward wall (µs)", "backward CPU (µs)", "backward wall (µs)", "backward / forward (CPU)"]),
    row(["---", "---", "---", "---", "---", "---"]),
    ...sides.map((side, k) =>
      row([side.label, best[k]!.forward.cpu, best[k]!.forward.wall, best[k]!.backward.cpu, best[k]!.backward.wall, ratio(best[k]!.backward.cpu, best[k]!.forward.cpu)]),
    ),
    row(["wat / native (1 thread, CPU)", ratio(wat.forward.cpu, one.forward.cpu), "", ratio(wat.backward.cpu, one.backward.cpu), "", ""]),
    row(["2 threads against 1 (wall)", "", ratio(one.forward.wall, two.forward.wall), "", ratio(one.backward.wall, two.backward.wall), ""]),
  ];
}

/*
 * Second table: the native graph kernel's rates for the cost model: one forward + backward
 * of a graph kernel (one depth of sparse connections, batch 256, through
 * TensorFlow.js, as bench/kernels.ts times it) at the sizes and densities
 * bench/kernels.ts calibrates graph.wat on, with the native kernel on and off
 * in interleaved runs (least CPU time of 7), each fitted to
 *
 *   sparse ≈ ε + β·edges + γ·(rows + cols).
 *
 * The machine is shared, so the native constants for
 * runtime/kernels/calibration.ts are graph.wat's quiet ones scaled by this
 * run's own native / graph.wat ratios of β and γ.
 */
const BATCH = 256;
const SIZES = [
  [32, 32],
  [128, 64],
  [256, 256],
  [1024, 256],
  [1024, 1024],
] as const;

/** One forward + backward of a one-depth graph kernel over `rows` inputs and `cols` neurons at `density`. */
function sparseStep(rows: number, cols: number, density: number, random: { next(): number }): { step: () => void; edges: number; dispose: () => void } {
  const [sources, targets] = [[] as number[], [] as number[]];
  for (let i = 0; i < rows * cols; i++) {
    if (random.next() < density) [sources.push(Math.floor(i / cols)), targets.push(i % cols)];
  }
  const x = tf.randomUniform([BATCH, rows], -1, 1, "float32", 2) as tf.Tensor2D;
  const b = tf.zeros([cols]) as tf.Tensor1D;
  const w = tf.randomUniform([sources.length], -1, 1, "float32", 4) as tf.Tensor1D;
  const m = tf.ones([sources.length]) as tf.Tensor1D;
  const s = graphStructure({ inputs: rows, activated: 0, members: [{ neurons: cols, sources: Int32Array.from(sources), targets: Int32Array.from(targets) }] });
  const exports = tf.tensor1d(
    Int32Array.from({ length: cols }, (_, i) => i),
    "int32",
  );
  const step = (): void => {
    const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Scalar => tf.sum(graphKernel(xx as tf.Tensor2D, [{ weight: ww, bias: b }], m, s, exports, { activation: "linear" }));
    const grads = tf.grads(f)([x, w]);
    grads.forEach((g) => g.dataSync());
    tf.dispose(grads);
  };
  return { step, edges: sources.length, dispose: () => (tf.dispose([x, b, w, m, exports]), disposeGraphStructure(s)) };
}

/** The calibration table and the constants it gives. */
async function calibration(): Promise<string[]> {
  await useBackend("wasm");
  const random = createRandom(1);
  const [native, wat] = [[] as number[][], [] as number[][]];
  const lines = [row(["rows × cols", "density", "edges", "native (ms)", "graph.wat (ms)", "wat / native"]), row(["---", "---", "---", "---", "---", "---"])];
  for (const [rows, cols] of SIZES) {
    for (const density of [0.005, 0.02, 0.05, 0.1, 0.3]) {
      const { step, edges, dispose } = sparseStep(rows, cols, density, random);
      const onWat = (): void => {
        useNativeGraph(false);
        step();
        useNativeGraph(true);
      };
      const [tNative, tWat] = interleavedMinimum([step, onWat], 7);
      native.push([1, edges, rows + cols, tNative!]);
      wat.push([1, edges, rows + cols, tWat!]);
      lines.push(row([`${rows} × ${cols}`, density, edges, tNative! * 1000, tWat! * 1000, `${(tWat! / tNative!).toFixed(2)}×`]));
      dispose();
    }
  }
  const [, betaNative, gammaNative] = leastSquares(native) as [number, number, number];
  const [, betaWat, gammaWat] = leastSquares(wat) as [number, number, number];
  const ns = (seconds: number): string => (seconds * 1e9).toFixed(1);
  return [
    ...lines,
    "",
    `fit: native ${ns(betaNative)} ns per edge + ${ns(gammaNative)} ns per neuron; graph.wat ${ns(betaWat)} + ${ns(gammaWat)}`,
    `scaled to the quiet calibration: NATIVE_SPARSE_PER_EDGE = ${((SPARSE_PER_EDGE * betaNative) / betaWat).toFixed(1)}, NATIVE_SPARSE_PER_NEURON = ${((SPARSE_PER_NEURON * gammaNative) / gammaWat).toFixed(1)}`,
  ];
}

export async function benchGraphNative(): Promise<string[]> {
  const alone = kernelAlone();
  if (alone.length === 1) return alone;
  return [...alone, "", ...(await calibration())];
}
