/**
 * The native graph kernel's bands (native/graph.c, GraphExports.bandWidth): where a kernel's rows outgrow a core's
 * caches they are laid out in bands of at most 128 samples, each its own block of rows, and a pass runs band by band.
 * Outputs and every gradient equal graph.wat's (one band) within float32 rounding, for batches that fill the bands,
 * leave the last one short, and make three of 112; on one and two threads they are the same bits. A backward
 * given a banded forward's rows where the native part is off refuses them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { graphKernel, graphStructure, disposeGraphStructure } from "../../runtime/kernels/graph/graph-kernel.js";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { useNativeGraph } from "../../runtime/kernels/native/graph-code.js";
import { createRandom } from "../../runtime/random.js";
import { tf, useBackend } from "../../runtime/index.js";

// 8,400 rows: 8.6 MB at 256 samples, past the 8 MiB from which rows are banded.
const [INPUTS, FIRST, SECOND] = [600, 6000, 1800];
const ROWS = INPUTS + FIRST + SECOND;

/** Two depths, each neuron from three random sources before it. */
function members(random: ReturnType<typeof createRandom>) {
  return [
    { neurons: FIRST, from: INPUTS, before: 0 },
    { neurons: SECOND, from: INPUTS + FIRST, before: FIRST },
  ].map(({ neurons, from, before }) => {
    const [sources, targets] = [[] as number[], [] as number[]];
    for (let t = 0; t < neurons; t++) for (let c = 0; c < 3; c++) [sources.push(Math.floor(random.next() * from)), targets.push(before + t)];
    return { neurons, sources: Int32Array.from(sources), targets: Int32Array.from(targets) };
  });
}

interface Run {
  readonly y: Float32Array;
  readonly grads: Float32Array[];
}

/** The kernel's outputs and the gradients of Σ y² by its input, weights and biases; `between` runs after the forward pass. */
function run(batch: number, between: () => void = () => {}): Run {
  const random = createRandom(5);
  const parts = members(random);
  const s = graphStructure({ inputs: INPUTS, activated: FIRST, members: parts });
  const weights = parts.map((m) => tf.tensor1d(Float32Array.from(m.sources, () => random.uniform(-0.5, 0.5))));
  const biases = parts.map((m) => tf.tensor1d(Float32Array.from({ length: m.neurons }, () => random.uniform(-0.2, 0.2))));
  const mask = tf.ones([parts.reduce((n, m) => n + m.sources.length, 0)]) as tf.Tensor1D;
  const exports = tf.tensor1d(
    Int32Array.from({ length: SECOND + 7 }, (_, i) => (i < SECOND ? FIRST + i : (i * 13) % FIRST)),
    "int32",
  );
  const x = tf.tensor2d(
    Float32Array.from({ length: batch * INPUTS }, () => random.uniform(-1, 1)),
    [batch, INPUTS],
  );
  // The kernel on the input and its parameters (two weights, then two biases).
  const kernel = (xx: tf.Tensor, ...p: tf.Tensor[]): tf.Tensor2D =>
    graphKernel(
      xx as tf.Tensor2D,
      [0, 1].map((k) => ({ weight: p[k]!, bias: p[2 + k] as tf.Tensor1D })),
      mask,
      s,
      exports,
      { activation: "relu" },
    );
  try {
    const { value, grads } = tf.valueAndGrads((xx: tf.Tensor, ...p: tf.Tensor[]) => {
      const y = kernel(xx, ...p);
      between();
      return tf.sum(tf.mul(y, y));
    })([x, ...weights, ...biases]);
    const y = tf.tidy(() => kernel(x, ...weights, ...biases).dataSync() as Float32Array);
    const out = { y, grads: grads.map((g) => g.dataSync() as Float32Array) };
    tf.dispose([value, ...grads]);
    return out;
  } finally {
    disposeGraphStructure(s);
    tf.dispose([...weights, ...biases, mask, exports, x]);
  }
}

function expectClose(a: Float32Array, b: Float32Array, tolerance: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const blas = nativeStatus().available ? (nativeStatus() as { blas: NativeBlas }).blas : undefined;

describe.runIf(blas?.graphBandWidth !== undefined)("the native graph kernel's bands", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterEach(() => useNativeGraph(true));
  afterAll(() => setNativeThreads(1));

  it("lays out rows past 8 MiB in the fewest bands of at most 128 samples, all as wide, and smaller ones in one band", () => {
    expect(blas!.graphBandWidth!(ROWS, 256)).toBe(128);
    // 304 samples: three bands of 112 (not 128, 128 and 48); 144 over 20,000 rows (11 MB): two of 80.
    expect(blas!.graphBandWidth!(ROWS, 304)).toBe(112);
    expect(blas!.graphBandWidth!(20000, 144)).toBe(80);
    expect(blas!.graphBandWidth!(ROWS, 144)).toBe(144);
    expect(blas!.graphBandWidth!(ROWS, 128)).toBe(128);
    expect(blas!.graphBandWidth!(3000, 256)).toBe(256);
  });

  it.each([256, 250, 300])("gives graph.wat's outputs and gradients at batch %i, the same bits on one and two threads", (batch) => {
    useNativeGraph(false);
    const wat = run(batch);
    useNativeGraph(true);
    setNativeThreads(1);
    const one = run(batch);
    setNativeThreads(2);
    const two = run(batch);
    expectClose(one.y, wat.y, 1e-6);
    one.grads.forEach((g, i) => expectClose(g, wat.grads[i]!, 1e-5));
    expect(Array.from(two.y)).toEqual(Array.from(one.y));
    two.grads.forEach((g, i) => expect(Array.from(g), `gradient ${i}`).toEqual(Array.from(one.grads[i]!)));
    // The gradient reached the inputs and both members' weights.
    expect([0, 1, 2].every((i) => one.grads[i]!.some((v) => v !== 0))).toBe(true);
  });

  it("gives the same on the CPU backend, whose private memory the native kernel works on too", async () => {
    const onWasm = run(256);
    await useBackend("cpu");
    try {
      const onCpu = run(256);
      expect(Array.from(onCpu.y)).toEqual(Array.from(onWasm.y));
      onCpu.grads.forEach((g, i) => expectClose(g, onWasm.grads[i]!, 1e-6));
      expect(() => run(256, () => useNativeGraph(false))).toThrow(/laid its rows out in 2 bands/);
    } finally {
      await useBackend("wasm");
    }
  });

  it("checks that every band lies inside the memory before it reads a byte", () => {
    // Two inputs and one neuron over 16 samples a band: xt at float 0 (32 a band), h at 100 (16 a band), then weff, bias, start, source.
    const memory = new Float32Array(200);
    const words = new Int32Array(memory.buffer);
    [words[152], words[153], words[154]] = [0, 1, 0];
    memory.fill(1, 0, 64);
    memory[150] = 2;
    const forward = (bands: number): void => blas!.graphForward!(memory, 0, 2, 400, 1, 16, 600, 604, 608, 616, 1, 1, bands);
    forward(2);
    expect(Array.from(memory.subarray(100, 132))).toEqual(new Array(32).fill(2 + memory[151]!));
    expect(() => forward(7)).toThrow(/graphForward: a region lies outside the memory/);
    const untyped = blas!.graphForward as unknown as (...args: unknown[]) => void;
    expect(() => untyped(memory, 0, 2, 400, 1, 16, 600, 604, 608, 616, 1, 1, 1, 1)).toThrow(/graphForward takes 12 to 13 arguments, got 14/);
  });

  it("refuses to run a banded forward pass's backward on graph.wat", () => {
    expect(() => run(256, () => useNativeGraph(false))).toThrow(/laid its rows out in 2 bands .* native part is off/);
  });
});
