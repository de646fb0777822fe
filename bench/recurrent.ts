/**
 * The recurrent stack against tf.layers' LSTM, in the same run: deepstruct's
 * `MaskedDeepRNN(1, [100, 100, 1])` — one feature per step, two LSTM layers
 * of 100, one output — over sequences of 15 steps, batch 100, on WASM. Both
 * sides take the same forward pass and an Adam step on mean squared error
 * (each side's own Adam at its fastest: the runtime's, fused where the
 * native part runs, and TensorFlow.js's for tf.layers), timed as the
 * least CPU time of interleaved runs, in rounds alternating with PyTorch's
 * torch.nn.LSTM (bench/torch_model_peers.py kind "lstm", through
 * bench/peers.ts's interleavedWithPeer, 1 thread). Then the same network with
 * 90% of every recurrent weight masked against the unmasked one, and the
 * unmasked one run as TensorFlow.js ops per step with their stock gradient
 * (the runtime's path before its hand-written gradient through time), in the
 * same runs.
 */
import { loadavg } from "node:os";
import * as layers from "@tensorflow/tfjs-layers";
import { createNetwork, createOptimizer, createRandom, tf, useBackend, type Model } from "../runtime/index.js";
import { denseProduct, nativeDenseActive } from "../runtime/kernels/native/dense-product.js";
import { useStockRecurrentGradient } from "../runtime/recurrent/forward.js";
import { hiddenProduct } from "../runtime/recurrent/hidden-product.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedWithPeer, peerRatio } from "./peers.js";
import { interleavedMinimum, row } from "./timing.js";

const STEPS = 15;
const BATCH = 100;
const HIDDEN = 100;
const PRUNED_FRACTION = 0.9;
const REPEATS = 7;

const SOURCE = `network Lstm { input [${STEPS}, 1] recurrent lstm(hidden=[${HIDDEN}, ${HIDDEN}]) output 1 }`;

interface Side {
  forward: () => tf.Tensor;
  variables: tf.Variable[];
}

/**
 * tf.layers' default recurrent initialiser (orthogonal) needs TensorFlow.js's
 * chained tensor methods, which the runtime does not register; the
 * initialiser does not change the timing, so glorotUniform stands in.
 */
function layersSide(): { side: Side; dispose: () => void } {
  const recurrentInitializer = "glorotUniform";
  const model = layers.sequential({
    layers: [
      layers.layers.lstm({ units: HIDDEN, returnSequences: true, inputShape: [STEPS, 1], recurrentInitializer }),
      layers.layers.lstm({ units: HIDDEN, recurrentInitializer }),
      layers.layers.dense({ units: 1 }),
    ],
  });
  const x = inputs();
  const side = { forward: () => model.apply(x, { training: true }) as tf.Tensor, variables: model.trainableWeights.map((w) => w.read() as tf.Variable) };
  return { side, dispose: () => (model.dispose(), x.dispose()) };
}

function ourSide(model: Model): Side {
  const x = inputs();
  return { forward: () => model.predict(x, { training: true }), variables: model.parameters.map((p) => p.variable) };
}

/** The same inputs for every side: a fixed seed, so each `inputs()` call makes equal tensors. */
function inputs(): tf.Tensor3D {
  return tf.randomUniform([BATCH, STEPS, 1], -1, 1, "float32", 7) as tf.Tensor3D;
}

/** Masks every recurrent weight of `model` at random, keeping 1 − PRUNED_FRACTION of each, from a fixed seed. */
function pruneRecurrent(model: Model): void {
  const random = createRandom(11);
  for (const layer of model.recurrent) {
    for (const mask of layer.masks) {
      const size = mask.shape[0] * mask.shape[1];
      model.setMask(
        mask.name,
        Uint8Array.from({ length: size }, () => (random.uniform(0, 1) < PRUNED_FRACTION ? 0 : 1)),
      );
    }
  }
}

interface Runs {
  forward: () => void;
  step: () => void;
}

/** `runs` with the recurrent layers on their stock gradient while each run lasts. */
function onStockGradient({ forward, step }: Runs): Runs {
  const stock = (run: () => void) => () => {
    useStockRecurrentGradient(true);
    try {
      run();
    } finally {
      useStockRecurrentGradient(false);
    }
  };
  return { forward: stock(forward), step: stock(step) };
}

function runs(side: Side, target: tf.Tensor, optimizer: tf.Optimizer): Runs {
  return {
    forward: () => void tf.tidy(() => side.forward().dataSync()),
    step: () => {
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(target, side.forward()) as tf.Scalar, true, side.variables);
      loss!.dataSync();
      loss!.dispose();
    },
  };
}

/**
 * One step's hidden product h [batch, hidden] · U [hidden, 4 · hidden] with
 * 1 − PRUNED_FRACTION of U live, each way the runtime can run it: what the
 * pruned network's per-step choice (recurrent/hidden-product.ts) rests on.
 */
function hiddenProductLines(): string[] {
  const width = 4 * HIDDEN;
  const random = createRandom(12);
  const live = Float32Array.from({ length: HIDDEN * width }, () => (random.uniform(0, 1) < PRUNED_FRACTION ? 0 : 1));
  const entries = Int32Array.from(Array.from(live.keys()).filter((k) => live[k] === 1));
  const u = tf.mul(tf.randomUniform([HIDDEN, width], -0.1, 0.1, "float32", 9), tf.tensor2d(live, [HIDDEN, width])) as tf.Tensor2D;
  const h = tf.randomUniform([BATCH, HIDDEN], -1, 1, "float32", 10) as tf.Tensor2D;
  const products = 30;
  // Each run sets its product up once, as a forward pass does per layer (for the graph kernel: the live weights and the structure).
  const repeated = (setUp: () => (h: tf.Tensor2D) => tf.Tensor) => () =>
    tf.tidy(() => {
      const product = setUp();
      for (let i = 1; i < products; i++) product(h);
      product(h).dataSync();
    });
  const ways: [string, () => void][] = [
    ["graph kernel over the live entries", repeated(() => hiddenProduct(u, entries).times)],
    ["TensorFlow.js's WASM matMul, dense", repeated(() => (x) => tf.matMul(x, u))],
    ...(nativeDenseActive() ? [["native BLAS, dense", repeated(() => (x) => denseProduct(x, u))] as [string, () => void]] : []),
  ];
  const times = interleavedMinimum(
    ways.map(([, run]) => run),
    REPEATS,
  );
  tf.dispose([u, h]);
  return [
    "",
    `one step's hidden product [${BATCH}, ${HIDDEN}] · [${HIDDEN}, ${width}] with ${entries.length} of ${HIDDEN * width} entries live; least CPU time of ${REPEATS} interleaved runs of ${products} products after one set-up each (a layer's steps)`,
    "",
    row(["product", "µs per product"]),
    row(["---", "---"]),
    ...ways.map(([name], i) => row([name, (times[i]! / products) * 1e6])),
  ];
}

export async function benchRecurrent(): Promise<string[]> {
  await useBackend("wasm");
  const spec = networkSpec(analyze(SOURCE).plans![0]!);
  const dense = await createNetwork(spec, { backend: "wasm" });
  const pruned = await createNetwork(spec, { backend: "wasm" });
  pruneRecurrent(pruned);
  const reference = layersSide();
  const target = tf.randomUniform([BATCH, 1], -1, 1, "float32", 8);
  // Each side at its fastest: ours with the runtime's Adam (fused where the native part runs), tf.layers with TensorFlow.js's.
  const sides = [
    runs(ourSide(dense), target, createOptimizer("adam")),
    runs(reference.side, target, tf.train.adam(1e-3)),
    runs(ourSide(pruned), target, createOptimizer("adam")),
    onStockGradient(runs(ourSide(dense), target, createOptimizer("adam"))),
  ];
  // One interleavedWithPeer over every side's forward and step: the PyTorch peer's rounds alternate with these same runs.
  const task = { kind: "lstm", inputs: 1, hidden: HIDDEN, layers: 2, outputs: 1, steps: STEPS, batch: BATCH };
  const load = loadavg()[0]!;
  const { ours: times, peer, note } = interleavedWithPeer([...sides.map((s) => s.forward), ...sides.map((s) => s.step)], task);
  const forward = times.slice(0, sides.length);
  const step = times.slice(sides.length);
  const ms = (seconds: number): number => seconds * 1000;
  const peerMs = (seconds: number | undefined): string | number => (seconds === undefined ? "—" : ms(seconds));
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  const lines = [
    `least CPU time of 3 rounds × 5 interleaved runs (one warm-up per round), rounds alternating with PyTorch's (1 thread); LSTM [1 → ${HIDDEN} → ${HIDDEN}] → dense 1, ${STEPS} steps, batch ${BATCH}, WASM, Adam step at learning rate 0.001 (the runtime's Adam for dsc, TensorFlow.js's for tf.layers, torch.optim.Adam for PyTorch); load average ${load.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
    ...(note === undefined ? [] : [note]),
    "",
    row(["network", "forward (ms)", "Adam step (ms)"]),
    row(["---", "---", "---"]),
    row(["tf.layers LSTM stack", ms(forward[1]!), ms(step[1]!)]),
    row(["dsc recurrent lstm(hidden=[100, 100])", ms(forward[0]!), ms(step[0]!)]),
    row(["dsc, time against tf.layers", ratio(forward[0]!, forward[1]!), ratio(step[0]!, step[1]!)]),
    row(["PyTorch torch.nn.LSTM (1 thread)", peerMs(peer?.forward), peerMs(peer?.step)]),
    row(["dsc, time against PyTorch", peerRatio(forward[0]!, peer?.forward), peerRatio(step[0]!, peer?.step)]),
    row([`dsc, ${PRUNED_FRACTION * 100}% of every recurrent weight masked`, ms(forward[2]!), ms(step[2]!)]),
    row(["masked against unmasked (speed-up)", ratio(forward[0]!, forward[2]!), ratio(step[0]!, step[2]!)]),
    row(["dsc as ops per step, stock gradient (before)", ms(forward[3]!), ms(step[3]!)]),
    row(["hand-written through time against stock (speed-up)", ratio(forward[3]!, forward[0]!), ratio(step[3]!, step[0]!)]),
  ];
  dense.dispose();
  pruned.dispose();
  reference.dispose();
  target.dispose();
  return [...lines, ...hiddenProductLines()];
}
