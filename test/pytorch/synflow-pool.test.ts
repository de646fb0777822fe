/**
 * Synflow's max pooling in the PyTorch trainer (_max_pool_flow) routes the
 * flow as TensorFlow.js's maxPool gradient does: to each window's first
 * largest entry, row-major, never a padded one. An all-ones input ties
 * every window; here maps with ties everywhere (values from {1, 2}, and
 * some 1 ulp of float32 above 1, which win as they do in float32) under `valid` and
 * `same` padding, overlapping windows too, give the same gradient entry for
 * entry on both sides. (With an all-ones input the tie rule cannot change a
 * live weight's saliency in exact arithmetic — every |W| product is
 * non-negative, so tied entries read equal patches — but it fixes which
 * rounding PyTorch's gradient carries.)
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileExample, hasTorch, PYTHON } from "./support.js";

interface PoolCase {
  readonly size: [number, number];
  readonly stride: [number, number];
  readonly padding: "valid" | "same";
}
const CASES: readonly PoolCase[] = [
  { size: [2, 2], stride: [2, 2], padding: "valid" },
  { size: [2, 2], stride: [2, 2], padding: "same" },
  { size: [3, 3], stride: [1, 1], padding: "same" },
  { size: [3, 2], stride: [2, 1], padding: "valid" },
];
const [CHANNELS, ROWS, COLS] = [2, 5, 7];

/** Maps [channels, rows, cols] of 1s and 2s (a fixed pattern), some entries 1 + 2^-23 (1 ulp above 1 in float32). */
function tiedMaps(): number[] {
  return Array.from({ length: CHANNELS * ROWS * COLS }, (_, i) => (i % 5 === 0 ? 2 : i % 7 === 3 ? 1 + 2 ** -23 : 1));
}

/** TensorFlow.js's gradient of sum(maxPool(x) * weights) over the maps, channels first, with per-output weights so each route shows. */
function tfjsGradient(c: PoolCase, maps: number[]): number[] {
  return tf.tidy(() => {
    const x = tf.transpose(tf.tensor4d(maps, [1, CHANNELS, ROWS, COLS]), [0, 2, 3, 1]) as tf.Tensor4D;
    const pooled = tf.maxPool(x, c.size, c.stride, c.padding);
    const weights = tf.add(tf.reshape(tf.range(0, pooled.size), pooled.shape), 1);
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, c.size, c.stride, c.padding), weights)))(x);
    return Array.from(tf.transpose(gradient, [0, 3, 1, 2]).dataSync());
  });
}

describe.skipIf(!hasTorch)("synflow's max pooling in PyTorch", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("routes every window's flow to the entry TensorFlow.js's maxPool gradient takes", async () => {
    await tf.setBackend("cpu");
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-pool-"));
    dirs.push(dir);
    await compileExample("test/pytorch/fixtures/synflow_conv.ds", dir);
    const maps = tiedMaps();
    const script = [
      "import json, sys, torch, synflow_conv as m",
      "maps, cases, shape = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])",
      "out = []",
      "for c in cases:",
      "    x = torch.tensor(maps, dtype=torch.float32).reshape(1, *shape).requires_grad_(True)",
      "    pad = m.window_padding(shape, c['size'], c['stride'], [1, 1], c['padding'])",
      "    pooled = m._max_pool_flow(x, c, pad)",
      "    n, channels, rows, cols = pooled.shape",
      "    # The weights numbered as TensorFlow.js's channels-last output numbers them.",
      "    weights = torch.arange(1, pooled.numel() + 1, dtype=torch.float32).reshape(n, rows, cols, channels).permute(0, 3, 1, 2)",
      "    (pooled * weights).sum().backward()",
      "    out.append(x.grad.reshape(-1).tolist())",
      "print(json.dumps(out))",
    ].join("\n");
    const args = [JSON.stringify(maps), JSON.stringify(CASES), JSON.stringify([CHANNELS, ROWS, COLS])];
    const run = spawnSync(PYTHON, ["-c", script, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    expect(run.stderr).toBe("");
    const python = JSON.parse(run.stdout) as number[][];
    CASES.forEach((c, i) => expect(python[i], JSON.stringify(c)).toEqual(tfjsGradient(c, maps)));
  }, 120_000);
});
