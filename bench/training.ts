/**
 * One training step of the small-world MNIST example against dense networks
 * of the same layer sizes (input, each hidden layer in order, output),
 * measured in the same run: a tf.layers model on the same backend, and, where
 * Debian's torch is installed, a PyTorch one (torch.nn.Linear, one thread),
 * the strong baseline. Each: an epoch of 2,048 random samples in batches of
 * 32, with Adam, divided by its steps; median of 3 epochs after 1, alike.
 */
import { readFileSync } from "node:fs";
import * as tfl from "@tensorflow/tfjs-layers";
import { createNetwork, tf, type Model } from "../runtime/index.js";
import { nativeDenseActive } from "../runtime/kernels/native/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { runPeer, torchMissing } from "./peers.js";
import { row } from "./timing.js";

const SAMPLES = 2048;
const BATCH = 32;
const REPEATS = 3;

export async function benchTraining(): Promise<string[]> {
  const source = readFileSync(new URL("../examples/small_world.ds", import.meta.url), "utf8");
  const { plans } = analyze(source);
  const ours = await createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0 });
  const sizes = ours.layers.map((l) => l.size);
  const dense = denseBaseline(sizes);

  const x = tf.randomUniform([SAMPLES, sizes[0]!], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = tf.randomUniform([SAMPLES], 0, 10, "int32", 2) as tf.Tensor1D;
  const oneHot = tf.oneHot(labels, 10);
  const steps = SAMPLES / BATCH;

  const oursSeconds = await median(async () => {
    await ours.fit({ x, y: labels }, { epochs: 1, batchSize: BATCH, shuffle: false });
  });
  const denseSeconds = await median(async () => {
    await dense.fit(x, oneHot, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
  });
  const denseParameters = dense.countParams();
  const missing = torchMissing();
  const torchStep = missing === undefined ? (runPeer({ kind: "dense", sizes, batch: BATCH, samples: SAMPLES, threads: 1, warmup: 1, repeats: REPEATS }).step as number) : undefined;
  const lines = [
    `backend ${tf.getBackend()}${nativeDenseActive() ? " with native dense products" : ""}, batch ${BATCH}, ${steps} steps per measurement, median of ${REPEATS} after 1`,
    "",
    row(["model", "layer sizes", "parameters", "ms per step", "vs dense"]),
    row(["---", "---", "---", "---", "---"]),
    row([
      "dsc SmallWorld (fused masked kernels)",
      `${sizes.length} layers`,
      parameterCount(ours),
      (oursSeconds / steps) * 1000,
      `${(denseSeconds / oursSeconds).toFixed(2)}× faster`,
    ]),
    row(["tf.layers dense, same sizes", `${sizes.length} layers`, denseParameters, (denseSeconds / steps) * 1000, "1×"]),
    row([
      "PyTorch dense (torch.nn.Linear, 1 thread), same sizes",
      `${sizes.length} layers`,
      denseParameters,
      torchStep === undefined ? "—" : torchStep * 1000,
      torchStep === undefined ? "—" : `${(torchStep / (oursSeconds / steps)).toFixed(2)}× ours`,
    ]),
    ...(missing === undefined ? [] : ["", missing]),
  ];
  tf.dispose([x, labels, oneHot]);
  ours.dispose();
  dense.dispose();
  return lines;
}

function denseBaseline(sizes: readonly number[]): tfl.Sequential {
  const model = tfl.sequential();
  sizes.slice(1).forEach((units, i) => {
    const last = i === sizes.length - 2;
    model.add(tfl.layers.dense({ units, activation: last ? "softmax" : "relu", ...(i === 0 ? { inputShape: [sizes[0]!] } : {}) }));
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy" });
  return model;
}

function parameterCount(model: Model): number {
  return model.parameters.reduce((sum, p) => sum + p.variable.size, 0);
}

async function median(run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    await run();
    times.push((performance.now() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)]!;
}
