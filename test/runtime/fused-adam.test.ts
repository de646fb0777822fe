/**
 * The fused Adam step (runtime/kernels/native/fused-adam.ts) against TensorFlow.js's
 * AdamOptimizer: the same values and moments after several steps, from the
 * same start and gradients — to the last bit where the native part runs it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { nativeStatus } from "../../runtime/kernels/native/index.js";
import { FusedAdam, fusedAdamActive } from "../../runtime/kernels/native/fused-adam.js";
import { recordLiveEntries } from "../../runtime/binding/live-entries.js";

const SHAPES = [[37, 5], [5], [1000], [3, 4, 2]] as const;

function variables(tag: string): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.randomNormal([...shape], 0, 1, "float32", 10 + i), true, `${tag}${i}`));
}

/** Gradients of step s: random, and none at all for tensor 1 on odd steps. */
function gradients(vars: readonly tf.Variable[], step: number): { name: string; tensor: tf.Tensor | undefined }[] {
  return vars.map((v, i) => ({ name: v.name, tensor: i === 1 && step % 2 === 1 ? undefined : tf.randomNormal(v.shape, 0, 3, "float32", 100 * step + i + 1) }));
}

describe.each(["wasm", "cpu"] as const)("fused Adam on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("gives the values and moments TensorFlow.js's Adam gives, step after step", async () => {
    const [ours, theirs] = [variables(`ours-${backend}-`), variables(`theirs-${backend}-`)];
    const [fused, stock] = [new FusedAdam(0.01, 0.8, 0.95, 1e-6), tf.train.adam(0.01, 0.8, 0.95, 1e-6)];
    for (let step = 0; step < 6; step++) {
      const [a, b] = [gradients(ours, step), gradients(theirs, step)];
      fused.applyGradients(a as { name: string; tensor: tf.Tensor }[]);
      stock.applyGradients(b as { name: string; tensor: tf.Tensor }[]);
      tf.dispose([...a, ...b].flatMap((g) => (g.tensor ? [g.tensor] : [])));
    }
    ours.forEach((v, i) => {
      const [x, y] = [v.dataSync(), theirs[i]!.dataSync()];
      let worst = 0;
      for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!));
      // Where the native part runs (WASM backend), op for op in float32: the same bits.
      expect(worst).toBeLessThanOrEqual(backend === "wasm" && nativeStatus().available ? 0 : 1e-7);
      expect(Array.from(x)).not.toEqual(Array.from(tf.randomNormal([...SHAPES[i]!], 0, 1, "float32", 10 + i).dataSync()));
    });
    const [mine, stocks] = [await fused.getWeights(), await stock.getWeights()];
    expect(mine.map((w) => w.name.replace(/ours/, "theirs"))).toEqual(stocks.map((w) => w.name));
    mine.forEach((w, i) => expect(Array.from(w.tensor.dataSync())).toEqual(Array.from(stocks[i]!.tensor.dataSync())));
    expect(fused.iterations).toBe(6);
    expect(fusedAdamActive()).toBe(backend === "wasm" && nativeStatus().available);
    tf.dispose([...ours, ...theirs]);
    fused.dispose();
    stock.dispose();
  });
});

describe.runIf(nativeStatus().available)("fused Adam's op count", () => {
  it("is a handful of ops per step however many tensors, where TensorFlow.js's Adam runs about ten per tensor", async () => {
    await useBackend("wasm");
    const kernels = async (optimizer: tf.Optimizer, tag: string): Promise<number> => {
      const vars = variables(tag);
      const grads = gradients(vars, 0);
      optimizer.applyGradients(grads as { name: string; tensor: tf.Tensor }[]);
      const profile = await tf.profile(() => optimizer.applyGradients(grads as { name: string; tensor: tf.Tensor }[]));
      tf.dispose([...vars, ...grads.flatMap((g) => (g.tensor ? [g.tensor] : []))]);
      optimizer.dispose();
      return profile.kernels.length;
    };
    const fused = await kernels(new FusedAdam(0.01, 0.9, 0.999, 1e-7), "count-fused-");
    const stock = await kernels(tf.train.adam(0.01, 0.9, 0.999, 1e-7), "count-stock-");
    expect(fused).toBeLessThanOrEqual(5);
    expect(stock).toBeGreaterThanOrEqual(10 * SHAPES.length);
  });
});

describe.runIf(nativeStatus().available)("fused Adam over a pruned kernel's live entries", () => {
  it("updates exactly the recorded entries as TensorFlow.js's Adam does, leaves the others' value and moments, and never writes data another tensor shares", async () => {
    await useBackend("wasm");
    const start = tf.randomNormal([40, 25], 0, 1, "float32", 7);
    const [ours, theirs] = [tf.variable(start, true, "live-ours"), tf.variable(start, true, "live-theirs")];
    // More than two of adam.c's 64-entry blocks, the last one partial.
    const live = [0, 3, 4, 99, ...Array.from({ length: 140 }, (_, j) => 101 + 6 * j), 999];
    const pick = tf.tensor1d(live, "int32");
    const forget = recordLiveEntries(ours, pick);
    const [fused, stock] = [new FusedAdam(0.05, 0.8, 0.95, 1e-6), tf.train.adam(0.05, 0.8, 0.95, 1e-6)];
    const held: tf.Tensor[] = [];
    let heldValues: number[] = [];
    for (let step = 0; step < 4; step++) {
      // Zero outside the live entries, as a compacted kernel's gradient is.
      const values = new Float32Array(1000);
      live.forEach((e, j) => (values[e] = Math.sin(step * 7 + j) * 3));
      const gradient = tf.tensor2d(values, [40, 25]);
      // A tensor sharing the variable's data (a reshape) must keep its values: that step cannot write in place.
      if (step === 2) {
        held.push(tf.reshape(ours, [1000]));
        heldValues = Array.from(ours.dataSync());
      }
      fused.applyGradients([{ name: ours.name, tensor: gradient }]);
      stock.applyGradients([{ name: theirs.name, tensor: gradient }]);
      gradient.dispose();
    }
    const [mine, stocks, first] = [ours.dataSync(), theirs.dataSync(), start.dataSync()];
    for (let e = 0; e < 1000; e++) expect(mine[e]).toBe(live.includes(e) ? stocks[e] : first[e]);
    expect(Array.from(held[0]!.dataSync())).toEqual(heldValues);
    expect(heldValues).not.toEqual(Array.from(mine));
    const [m] = await fused.getWeights().then((w) => w.filter((x) => x.name === "live-ours/m").map((x) => x.tensor.dataSync()));
    expect(m!.filter((v) => v !== 0).length).toBe(live.length);
    forget();
    tf.dispose([start, ours, theirs, pick, ...held]);
    fused.dispose();
    stock.dispose();
  });
});
