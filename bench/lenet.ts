/**
 * Pruning that pays: LeNet-300-100 (784 → 300 → 100 → 10, relu, batch 256)
 * dense against the same network with 95% of its weights pruned by global
 * magnitude, in the same run. The pruned model re-plans after `prune` (a
 * layer the cost model finds sparse enough runs as a graph kernel over its
 * live connections); beside it the same masks on a model kept dense
 * (execution "dense": masks on dense tensors, what pruning libraries do).
 * Forward pass and Adam step (createOptimizer's, on the runtime's softmax
 * cross-entropy, what `fit` steps on: one kernel for loss and gradient),
 * one BLAS thread, after ten warm-up rounds, timed two ways in the same run
 * (the machine is shared: see bench/timing.ts): the least CPU time of 9
 * rounds in which each row in turn runs one warm-up and 5 runs back to back,
 * as `fit` steps one model again and again (the PyTorch peers' method), and
 * the least of 41 runs interleaved run by run, where each run follows
 * another model's and finds its data out of cache.
 */
import { loadavg } from "node:os";
import { createNetwork, createOptimizer, prune, tf, type Model } from "../runtime/index.js";
import { nativeDenseActive, setNativeThreads, useNativeGraph } from "../runtime/kernels/native/index.js";
import { loss } from "../runtime/training/losses.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedWithPeer, networkArrays, peerRatio } from "./peers.js";
import { cpuSeconds, interleavedMinimum, row } from "./timing.js";

const SOURCE = "network LeNet { input 784 dense 300 dense 100 output 10 }";
const BATCH = 256;
const [WARM_UP, REPEATS] = [10, 41];
const [ROUNDS, PER_ROUND] = [9, 5];

/** LeNet, unpruned or with 95% of its weights pruned by magnitude: over the whole network (`global`) or in each layer (`layer`). */
async function lenet(pruned: "none" | "global" | "layer", execution: "auto" | "dense"): Promise<Model> {
  const model = await createNetwork(networkSpec(analyze(SOURCE).plans![0]!), { backend: "wasm", seed: 0, execution });
  if (pruned !== "none") prune(model, { amount: { percent: 95 }, scope: pruned });
  return model;
}

const liveText = (model: Model): string =>
  model.blocks.map((b) => `${b.name} ${model.liveConnections(b.name).toLocaleString("en-US")}/${(b.sourceSize * b.targetSize).toLocaleString("en-US")}`).join(", ");
const executionText = (model: Model): string => model.execution.map((s) => `${s.kind}(${s.layers.join(", ")})`).join(", ");

function timers(model: Model, x: tf.Tensor2D, y: tf.Tensor2D, before?: () => void, after?: () => void): { forward: () => void; step: () => void } {
  const variables = model.parameters.map((p) => p.variable);
  const optimizer = createOptimizer("adam");
  return {
    forward: () => {
      before?.();
      tf.tidy(() => void model.predict(x).dataSync());
      after?.();
    },
    step: () => {
      before?.();
      const cost = optimizer.minimize(() => loss("crossEntropy", model.predict(x) as tf.Tensor2D, y), true, variables);
      cost!.dataSync();
      cost!.dispose();
      after?.();
    },
  };
}

/** Least CPU time per side over ROUNDS rounds, each side in turn running one warm-up and PER_ROUND timed runs back to back. */
function roundsMinimum(runs: readonly (() => void)[]): number[] {
  const best = runs.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < ROUNDS; round++)
    runs.forEach((run, i) => {
      run();
      for (let r = 0; r < PER_ROUND; r++) best[i] = Math.min(best[i]!, cpuSeconds(run));
    });
  return best;
}

export async function benchLenet(): Promise<string[]> {
  setNativeThreads(1);
  const load = loadavg()[0]!;
  const x = tf.randomUniform([BATCH, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const y = tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10),
      "int32",
    ),
    10,
  ) as tf.Tensor2D;
  const dense = await lenet("none", "auto");
  const pruned = await lenet("global", "auto");
  const masked = await lenet("global", "dense");
  const layered = await lenet("layer", "auto");
  // Every row its own model: two rows on one model, run one after the other, found its data in cache (the second ran faster, whichever it was).
  const onWat = await lenet("global", "auto");
  const wat = timers(
    onWat,
    x,
    y,
    () => useNativeGraph(false),
    () => useNativeGraph(true),
  );
  const sides = [
    { label: "dense (no pruning)", t: timers(dense, x, y) },
    { label: "95% pruned (global magnitude), re-planned (ours)", t: timers(pruned, x, y) },
    { label: "the same, graph kernel on graph.wat (native graph kernel off)", t: wat },
    { label: "the same masks on dense tensors (execution dense)", t: timers(masked, x, y) },
    { label: "95% of each layer pruned (scope layer), re-planned (ours)", t: timers(layered, x, y) },
  ];
  // Ten warm-up rounds first, so every side's code is compiled by the JIT's top tier before it is timed.
  for (let round = 0; round < WARM_UP; round++) for (const side of sides) [side.t.forward(), side.t.step()];
  const table = (forward: number[], step: number[]): string[] => [
    row(["LeNet-300-100", "forward (ms)", "Adam step (ms)", "forward vs dense", "step vs dense"]),
    row(["---", "---", "---", "---", "---"]),
    ...sides.map((s, i) => row([s.label, forward[i]! * 1000, step[i]! * 1000, `${(forward[0]! / forward[i]!).toFixed(2)}×`, `${(step[0]! / step[i]!).toFixed(2)}×`])),
  ];
  const inRounds = [roundsMinimum(sides.map((s) => s.t.forward)), roundsMinimum(sides.map((s) => s.t.step))] as const;
  const loadBetween = loadavg()[0]!;
  const byRun = [
    interleavedMinimum(
      sides.map((s) => s.t.forward),
      REPEATS,
    ),
    interleavedMinimum(
      sides.map((s) => s.t.step),
      REPEATS,
    ),
  ] as const;
  const lines = [
    `batch ${BATCH}, WASM backend${nativeDenseActive() ? " with the native part (1 BLAS thread)" : ""}, ${WARM_UP} warm-up rounds; load average ${load.toFixed(1)} at the start, ${loadBetween.toFixed(1)} between the tables, ${loadavg()[0]!.toFixed(1)} at the end`,
    `global: live ${liveText(pruned)}; execution ${executionText(pruned)}`,
    `per layer: live ${liveText(layered)}; execution ${executionText(layered)}`,
    "",
    `least CPU time of ${ROUNDS} rounds, each row in turn one warm-up and ${PER_ROUND} runs back to back (as a model steps in training):`,
    "",
    ...table(...inRounds),
    "",
    `least CPU time of ${REPEATS} runs interleaved run by run (each run follows another model's: colder caches):`,
    "",
    ...table(...byRun),
  ];
  [dense, pruned, onWat, masked, layered].forEach((m) => m.dispose());
  tf.dispose([x, y]);
  return lines;
}

// ---- PyTorch peers (bench/torch_model_peers.py through bench/peers.ts), apart from benchLenet above ----

const maxDifference = (a: ArrayLike<number>, b: readonly number[]): number => Array.from(a).reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);

/**
 * Dense LeNet against torch.nn (Linear, ReLU), and the 95%-pruned one against our very pruned network in PyTorch —
 * its live connections as one sparse matrix per layer, the faster of torch.sparse.mm on COO with autograd's backward
 * and CSR with a hand-written one — forward and Adam step, batch 256, one thread each, by least CPU time in rounds
 * alternating with PyTorch's (interleavedWithPeer).
 */
export async function lenetPeers(): Promise<string[]> {
  setNativeThreads(1);
  const load = loadavg()[0]!;
  const x = tf.randomUniform([BATCH, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10) as tf.Tensor2D;
  const dense = await lenet("none", "auto");
  const pruned = await lenet("global", "auto");
  const logits = tf.tidy(() => pruned.predict(x).dataSync() as Float32Array);
  const { sizes, arrays } = networkArrays(pruned, x.dataSync() as Float32Array, labels);
  const [d, p] = [timers(dense, x, y), timers(pruned, x, y)];
  const { ours, peer, result, note } = interleavedWithPeer([d.forward, p.forward, d.step, p.step], { kind: "lenet", sizes, batch: BATCH }, arrays);
  const ms = (s: number | undefined): string => (s === undefined ? "—" : (s * 1000).toFixed(2));
  const cell = (s: number | undefined): string | number => (s === undefined ? "—" : s * 1000);
  const faster = (coo: string, csr: string): { label: string; s: number | undefined } => {
    const [a, b] = [peer?.[coo], peer?.[csr]];
    if (a === undefined || b === undefined) return { label: "—", s: undefined };
    const step = coo.endsWith("Step");
    return a <= b ? { label: step ? "COO, autograd" : "COO", s: a } : { label: step ? "CSR, hand-written backward" : "CSR", s: b };
  };
  const [sf, ss] = [faster("cooForward", "csrForward"), faster("cooStep", "csrStep")];
  const agreement = (key: string): string => (result?.[key] === undefined ? "—" : maxDifference(logits, result[key] as number[]).toExponential(1));
  const lines = [
    `against PyTorch: least CPU time of 3 rounds × 5 runs (after one warm-up per round) on each side, rounds alternating; ours WASM${nativeDenseActive() ? " with the native part" : ""}, 1 thread; PyTorch 1 thread; load average ${load.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
    `PyTorch's pruned network: COO / CSR forward ${ms(peer?.cooForward)} / ${ms(peer?.csrForward)} ms, step ${ms(peer?.cooStep)} / ${ms(peer?.csrStep)} ms; max |Δ logits| against ours COO / CSR ${agreement("cooLogits")} / ${agreement("csrLogits")}`,
    ...(note === undefined ? [] : [note]),
    "",
    row(["LeNet-300-100, batch 256", "dsc forward (ms)", "PyTorch forward (ms)", "dsc / PyTorch", "dsc Adam step (ms)", "PyTorch Adam step (ms)", "dsc / PyTorch"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
    row([
      "dense: ours / torch.nn.Linear",
      ours[0]! * 1000,
      cell(peer?.denseForward),
      peerRatio(ours[0]!, peer?.denseForward),
      ours[2]! * 1000,
      cell(peer?.denseStep),
      peerRatio(ours[2]!, peer?.denseStep),
    ]),
    row([
      `95% pruned: ours re-planned / torch.sparse (forward ${sf.label}, step ${ss.label})`,
      ours[1]! * 1000,
      cell(sf.s),
      peerRatio(ours[1]!, sf.s),
      ours[3]! * 1000,
      cell(ss.s),
      peerRatio(ours[3]!, ss.s),
    ]),
  ];
  [dense, pruned].forEach((m) => m.dispose());
  tf.dispose([x, y]);
  return lines;
}
