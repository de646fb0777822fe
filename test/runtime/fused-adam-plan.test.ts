/**
 * The fused Adam step keeps what it hands the native part between steps
 * (runtime/kernels/native/fused-adam-plan.ts) and knows its β powers as numbers:
 * what it keeps must be dropped whenever what it rests on changes — the set
 * of gradients, a variable's data (shared, assigned), the optimizer's state
 * (setWeights, a fresh optimizer resuming), a weight's live entries — and
 * the native update, split over the pool, must give the same bits on one
 * thread and two. Each case against TensorFlow.js's AdamOptimizer, bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { nativeStatus, setNativeThreads } from "../../runtime/kernels/native/index.js";
import { FusedAdam } from "../../runtime/kernels/native/fused-adam.js";
import { recordLiveEntries } from "../../runtime/binding/live-entries.js";

type Gradients = { name: string; tensor: tf.Tensor | undefined }[];

/** Larger than two of adam.c's pieces (16,384 elements), so a step is split over the pool, and small ones beside it. */
const SHAPES = [[300, 120], [7], [5000], [2, 3, 4]] as const;

function variables(tag: string, seed: number): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.randomNormal([...shape], 0, 1, "float32", seed + i), true, `${tag}${i}`));
}

/** Step s's gradients for `vars`, none for the tensors `skip` names (AdamOptimizer keys its moments by place in the list). */
function gradients(vars: readonly tf.Variable[], step: number, skip: readonly number[] = []): Gradients {
  return vars.map((v, i) => ({ name: v.name, tensor: skip.includes(i) ? undefined : tf.randomNormal(v.shape, 0, 2, "float32", 1000 * step + i + 1) }));
}

function step(optimizer: tf.Optimizer, vars: readonly tf.Variable[], s: number, skip: readonly number[] = []): void {
  const g = gradients(vars, s, skip);
  optimizer.applyGradients(g as { name: string; tensor: tf.Tensor }[]);
  tf.dispose(g.flatMap((x) => (x.tensor ? [x.tensor] : [])));
}

/** How many entries of two equally long arrays differ in their bits (a count: a failing diff of 36,000 entries would take minutes to print). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) count++;
  return count;
}

function expectSameBits(ours: readonly tf.Variable[], theirs: readonly tf.Variable[]): void {
  ours.forEach((v, i) => expect(differing(v.dataSync(), theirs[i]!.dataSync())).toBe(0));
}

async function expectSameState(fused: tf.Optimizer, stock: tf.Optimizer): Promise<void> {
  const [mine, stocks] = [await fused.getWeights(), await stock.getWeights()];
  expect(mine.length).toBe(stocks.length);
  mine.forEach((w, i) => expect(differing(w.tensor.dataSync(), stocks[i]!.tensor.dataSync())).toBe(0));
}

describe.runIf(nativeStatus().available)("the fused Adam step's kept plan", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterAll(() => setNativeThreads(1));

  it("follows a changing set of gradients and a variable whose data another tensor shares, step after step", async () => {
    const [ours, theirs] = [variables("plan-ours-", 10), variables("plan-theirs-", 10)];
    const [fused, stock] = [new FusedAdam(0.01, 0.8, 0.95, 1e-6), tf.train.adam(0.01, 0.8, 0.95, 1e-6)];
    const schedule: (readonly number[])[] = [[], [], [1], [1, 3], [], [], [0]];
    const held: tf.Tensor[] = [];
    schedule.forEach((skip, s) => {
      // At step 5 (the same gradients as step 4: the plan kept) a reshape shares the large variable's data: that step must not write it in place.
      if (s === 5) held.push(tf.reshape(ours[0]!, [-1]));
      const before = s === 5 ? held[0]!.dataSync().slice() : new Float32Array();
      step(fused, ours, s, skip);
      step(stock, theirs, s, skip);
      if (s === 5) expect(differing(held[0]!.dataSync(), before)).toBe(0);
      expectSameBits(ours, theirs);
    });
    await expectSameState(fused, stock);
    tf.dispose([...ours, ...theirs, ...held]);
    fused.dispose();
    stock.dispose();
  });

  it("takes up a state set from elsewhere (setWeights, and a fresh optimizer resuming): its moments and β powers", async () => {
    const [ours, theirs, other] = [variables("set-ours-", 20), variables("set-theirs-", 20), variables("set-other-", 30)];
    const [fused, stock, elsewhere] = [new FusedAdam(0.02, 0.85, 0.97, 1e-6), tf.train.adam(0.02, 0.85, 0.97, 1e-6), tf.train.adam(0.02, 0.85, 0.97, 1e-6)];
    for (let s = 0; s < 3; s++) [step(fused, ours, s), step(stock, theirs, s)];
    // Five steps elsewhere: other moments, and β powers of five steps rather than three.
    for (let s = 10; s < 15; s++) step(elsewhere, other, s);
    const state = await elsewhere.getWeights();
    await fused.setWeights(state);
    await stock.setWeights(state);
    [...ours, ...theirs].forEach((v, i) => v.assign(other[i % SHAPES.length]!));
    for (let s = 3; s < 5; s++) [step(fused, ours, s), step(stock, theirs, s)];
    expectSameBits(ours, theirs);
    await expectSameState(fused, stock);
    // A fresh optimizer given the state, as --resume gives it: its first step reads the powers back.
    const resumed = new FusedAdam(0.02, 0.85, 0.97, 1e-6);
    await resumed.setWeights(await fused.getWeights());
    for (let s = 5; s < 7; s++) [step(resumed, ours, s), step(stock, theirs, s)];
    expectSameBits(ours, theirs);
    await expectSameState(resumed, stock);
    expect(resumed.iterations).toBe(stock.iterations);
    tf.dispose([...ours, ...theirs, ...other]);
    [fused, stock, elsewhere, resumed].forEach((o) => o.dispose());
  });

  it("takes up live entries recorded, and forgotten, after its plan was built", () => {
    const start = tf.randomNormal([60, 50], 0, 1, "float32", 3);
    const [ours, theirs] = [tf.variable(start, true, "entries-ours"), tf.variable(start, true, "entries-theirs")];
    const [fused, stock] = [new FusedAdam(0.05, 0.8, 0.95, 1e-6), tf.train.adam(0.05, 0.8, 0.95, 1e-6)];
    const gradient = (s: number, live?: readonly number[]): tf.Tensor => {
      const values = Float32Array.from({ length: 3000 }, (_, e) => (live === undefined || live.includes(e) ? Math.cos(s * 5 + e) : 0));
      return tf.tensor2d(values, [60, 50]);
    };
    const both = (g: tf.Tensor): void => {
      fused.applyGradients([{ name: ours.name, tensor: g }]);
      stock.applyGradients([{ name: theirs.name, tensor: g }]);
      g.dispose();
    };
    for (let s = 0; s < 2; s++) both(gradient(s));
    expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
    const live = Array.from({ length: 700 }, (_, j) => 4 * j + 1);
    const pick = tf.tensor1d(live, "int32");
    const forget = recordLiveEntries(ours, pick);
    const kept = Array.from(ours.dataSync());
    both(gradient(2, live));
    const [mine, stocks] = [ours.dataSync(), theirs.dataSync()];
    // Outside the live entries the momentum of the first two steps would move them: the listed update leaves them.
    for (let e = 0; e < 3000; e++) expect(mine[e]).toBe(live.includes(e) ? stocks[e] : kept[e]);
    expect(kept.filter((x, e) => !live.includes(e) && x !== stocks[e]).length).toBeGreaterThan(2000);
    forget();
    const before = Array.from(ours.dataSync());
    both(gradient(3));
    const after = ours.dataSync();
    expect(before.filter((x, e) => !live.includes(e) && x !== after[e]).length).toBe(3000 - live.length);
    tf.dispose([start, ours, theirs, pick]);
    fused.dispose();
    stock.dispose();
  });

  it("gives the same bits on one thread and two, and TensorFlow.js's", () => {
    const run = (threads: number, tag: string): Float32Array[] => {
      setNativeThreads(threads);
      const vars = variables(tag, 40);
      const fused = new FusedAdam(0.01, 0.9, 0.999, 1e-7);
      for (let s = 0; s < 4; s++) step(fused, vars, s);
      const values = vars.map((v) => v.dataSync() as Float32Array);
      tf.dispose(vars);
      fused.dispose();
      return values;
    };
    const [one, two] = [run(1, "threads-one-"), run(2, "threads-two-")];
    setNativeThreads(1);
    const theirs = variables("threads-stock-", 40);
    const stock = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    for (let s = 0; s < 4; s++) step(stock, theirs, s);
    one.forEach((values, i) => {
      expect(differing(two[i]!, values)).toBe(0);
      expect(differing(values, theirs[i]!.dataSync())).toBe(0);
    });
    tf.dispose(theirs);
    stock.dispose();
  });
});
