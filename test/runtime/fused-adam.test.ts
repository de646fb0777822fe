/**
 * The fused Adam step (runtime/training/fused-adam.ts) against TensorFlow.js's
 * AdamOptimizer: the same values and moments after several steps, from the
 * same start and gradients — to the last bit where the native part runs it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { tf, useBackend } from "../../runtime/index.js";
import { nativeStatus } from "../../runtime/kernels/native/index.js";
import { FusedAdam, fusedAdamActive } from "../../runtime/training/fused-adam.js";

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
