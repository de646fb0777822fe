/**
 * One training step of the small-world MNIST example against dense networks
 * of the same layer sizes (input, each hidden layer in order, output),
 * measured in the same run: a tf.layers model on the same backend, and, where
 * Debian's torch is installed, a PyTorch one (torch.nn.Linear, one thread),
 * the strong baseline. Each: an epoch of 2,048 random samples in batches of
 * 32, no shuffle, an Adam step per batch (ours and tf.layers both with
 * createOptimizer's Adam), divided by its steps. Timed as every benchmark
 * with a PyTorch peer is (bench/peers.ts interleavedWithPeer): rounds
 * alternate ours and PyTorch's, each one warm-up epoch and the same number of
 * timed epochs per side, each figure its least CPU time over all rounds.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import * as tfl from "@tensorflow/tfjs-layers";
import { createNetwork, tf, type Model } from "../runtime/index.js";
import { nativeDenseActive } from "../runtime/kernels/native/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedWithPeer } from "./peers.js";
import { optimizerOf, stepRun, type Timed } from "./network-timing.js";
import { row } from "./timing.js";

const SAMPLES = 2048;
const BATCH = 32;
const ROUNDS = 3;
const REPEATS = 3;

interface Batch {
  readonly x: tf.Tensor2D;
  readonly y: tf.Tensor2D;
}

/** An epoch of Adam steps of `net` over `batches`, in order: what the peer's epoch does. */
function epochRun(net: Timed, batches: readonly Batch[]): { run: () => void; dispose: () => void } {
  const train = optimizerOf("adam");
  const steps = batches.map((b) => stepRun(net, b.x, b.y, train));
  return { run: () => steps.forEach((step) => step()), dispose: () => train.dispose() };
}

export async function benchTraining(): Promise<string[]> {
  const source = readFileSync(new URL("../examples/small_world.ds", import.meta.url), "utf8");
  const { plans } = analyze(source);
  const ours = await createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0 });
  const sizes = ours.layers.map((l) => l.size);
  const dense = denseBaseline(sizes);

  const x = tf.randomUniform([SAMPLES, sizes[0]!], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = tf.randomUniform([SAMPLES], 0, 10, "int32", 2) as tf.Tensor1D;
  const oneHot = tf.oneHot(labels, 10) as tf.Tensor2D;
  const steps = SAMPLES / BATCH;
  const batches: Batch[] = Array.from({ length: steps }, (_, b) => ({ x: tf.slice(x, [b * BATCH, 0], [BATCH, -1]), y: tf.slice(oneHot, [b * BATCH, 0], [BATCH, -1]) }));

  const oursEpoch = epochRun({ forward: (input) => ours.predict(input) as tf.Tensor2D, variables: ours.parameters.map((p) => p.variable) }, batches);
  // A LayerVariable's read() is the tf.Variable it holds, the one an optimizer updates.
  const denseEpoch = epochRun({ forward: (input) => dense.apply(input) as tf.Tensor2D, variables: dense.trainableWeights.map((w) => w.read() as tf.Variable) }, batches);
  const load = loadavg();
  const { ours: seconds, peer, result, note } = interleavedWithPeer([oursEpoch.run, denseEpoch.run], { kind: "dense", sizes, batch: BATCH, samples: SAMPLES }, {}, ROUNDS, REPEATS);
  const [oursStep, denseStep] = seconds.map((s) => s / steps) as [number, number];
  const torchStep = peer?.step;
  const denseParameters = dense.countParams();
  const lines = [
    `uptime load ${load.map((l) => l.toFixed(2)).join(" ")} at the start; backend ${tf.getBackend()}${nativeDenseActive() ? " with native dense products" : ""}, batch ${BATCH}, ${steps} steps per epoch`,
    `least CPU time of an epoch over ${ROUNDS} interleaved rounds of 1 warm-up and ${REPEATS} epochs per side; PyTorch on 1 thread`,
    "",
    row(["model", "layer sizes", "parameters", "ms per step", "vs dense"]),
    row(["---", "---", "---", "---", "---"]),
    row(["dsc SmallWorld (fused masked kernels)", `${sizes.length} layers`, parameterCount(ours), oursStep * 1000, `${(denseStep / oursStep).toFixed(2)}× faster than tf.layers`]),
    row(["tf.layers dense, same sizes", `${sizes.length} layers`, denseParameters, denseStep * 1000, "1×"]),
    row([
      "PyTorch dense (torch.nn.Linear, 1 thread), same sizes",
      `${sizes.length} layers`,
      (result?.parameters as number | undefined) ?? denseParameters,
      torchStep === undefined ? "—" : torchStep * 1000,
      torchStep === undefined ? "—" : `${(torchStep / oursStep).toFixed(2)}× ours`,
    ]),
    ...(note === undefined ? [] : ["", note]),
  ];
  oursEpoch.dispose();
  denseEpoch.dispose();
  tf.dispose([x, labels, oneHot, ...batches.flatMap((b) => [b.x, b.y])]);
  ours.dispose();
  dense.dispose();
  return lines;
}

/** The dense peer on TensorFlow.js: linear output, as softmax cross-entropy on logits is what every side trains. */
function denseBaseline(sizes: readonly number[]): tfl.Sequential {
  const model = tfl.sequential();
  sizes.slice(1).forEach((units, i) => {
    const last = i === sizes.length - 2;
    model.add(tfl.layers.dense({ units, activation: last ? "linear" : "relu", ...(i === 0 ? { inputShape: [sizes[0]!] } : {}) }));
  });
  return model;
}

function parameterCount(model: Model): number {
  return model.parameters.reduce((sum, p) => sum + p.variable.size, 0);
}
