/**
 * Against PyTorch on the same CPU, in the same run: Watts–Strogatz 3,000 and
 * 10,000 (k = 4, p = 0.5) as the structure of 784 → 10, batch 256, forward
 * pass and Adam step. Ours with the native dense products (OpenBLAS) and
 * without (TensorFlow.js's WASM matMul); PyTorch (bench/torch_peers.py) as
 * Python deepstruct's plan (a masked dense matrix per pair of connected
 * depths) and as one CSR matrix per target depth with a hand-written
 * backward. Both read our very network (its connections and weights) and the
 * same batch: their logits are compared with ours.
 *
 * Timed as every benchmark with a PyTorch peer is (bench/peers.ts
 * interleavedWithPeer): rounds alternate ours and PyTorch's, so drift of the
 * shared machine reaches both; each round one warm-up and the same number of
 * runs of every figure on each side, each figure its least CPU time over all
 * rounds, PyTorch on one thread, ours on one BLAS thread. Useful work,
 * 2 × batch × live connections per forward second, is divided by the native
 * single-core sgemm peak (256 × 1024 × 1024, OpenBLAS through our addon),
 * timed the same way in the same run beside torch.mm. One against two
 * threads: `npm run bench threads` (CPU time adds up over threads, so it
 * cannot say what a second thread gains).
 */
import { loadavg } from "node:os";
import { tf, useBackend, type Model } from "../runtime/index.js";
import { nativeDenseActive, nativeStatus, setNativeThreads, useNativeDense, useNativeGraph } from "../runtime/kernels/native/index.js";
import { interleavedWithPeer, networkArrays, type PeerRounds } from "./peers.js";
import { forwardAndStepRuns, nativePeakRun, wattsStrogatzNetwork, type ForwardAndStepRuns, type TimedOptimizer } from "./network-timing.js";
import { row } from "./timing.js";

const BATCH = 256;
const ROUNDS = 3;
const REPEATS = 5;
const SIZES = [3000, 10000] as const;
const SIDES = ["native", "before", "wasm"] as const;
type Side = (typeof SIDES)[number];

/**
 * `native`: native dense products, the native graph kernel, createOptimizer's fused Adam. `before`: native dense
 * products with graph.wat and TensorFlow.js's Adam, the state before the native graph kernel and the fused step.
 * `wasm`: no native part.
 */
function useSide(side: Side): void {
  useNativeDense(side !== "wasm");
  useNativeGraph(side === "native");
}

const OPTIMIZER: Record<Side, TimedOptimizer> = { native: "adam", before: "tfjs-adam", wasm: "adam" };

/** Each side's forward and step on its own copy of the network (same weights), switching the native parts on each run. */
async function sideRuns(n: number, x: tf.Tensor2D, labels: Int32Array): Promise<{ runs: (() => void)[]; dispose: () => void }> {
  const held: { model: Model; runs: ForwardAndStepRuns }[] = [];
  for (const side of SIDES) {
    useSide(side);
    const model = await wattsStrogatzNetwork(n);
    held.push({
      model,
      runs: forwardAndStepRuns({ forward: (input) => model.predict(input) as tf.Tensor2D, variables: model.parameters.map((p) => p.variable) }, x, labels, OPTIMIZER[side]),
    });
  }
  const runs = SIDES.flatMap((side, i) => [held[i]!.runs.forward, held[i]!.runs.step].map((run) => () => (useSide(side), run())));
  return { runs, dispose: () => held.forEach((h) => (h.runs.dispose(), h.model.dispose())) };
}

const times = (ours: number, theirs: number | undefined): string => (theirs === undefined ? "—" : `${(theirs / ours).toFixed(2)}×`);
const ms = (pair: readonly (number | undefined)[], digits = 1): string => (pair[0] === undefined ? "—" : pair.map((s) => (s! * 1000).toFixed(digits)).join(" / "));

function maxDifference(a: ArrayLike<number>, b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

async function measure(n: number): Promise<{ live: number; rounds: PeerRounds; logits: Float32Array }> {
  const model = await wattsStrogatzNetwork(n);
  const x = tf.randomUniform([BATCH, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  const logits = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
  const { sizes, arrays } = networkArrays(model, x.dataSync() as Float32Array, labels);
  const live = model.liveConnections();
  model.dispose();
  const sides = await sideRuns(n, x, labels);
  const rounds = interleavedWithPeer(sides.runs, { kind: "network", sizes, batch: BATCH, plan: true }, arrays, ROUNDS, REPEATS);
  sides.dispose();
  useSide("native");
  x.dispose();
  return { live, rounds, logits };
}

export async function benchPytorch(): Promise<string[]> {
  await useBackend("wasm");
  const native = nativeStatus();
  if (!native.available || !nativeDenseActive()) return [`native dense products unavailable (${native.available ? "not on this backend" : native.reason}): nothing to compare`];
  setNativeThreads(1);
  const peakRounds = interleavedWithPeer([nativePeakRun()], { kind: "peak" }, {}, ROUNDS, REPEATS);
  const [peak] = peakRounds.ours as [number];
  const torchPeak = peakRounds.peer?.peak;
  const flops = 2 * 256 * 1024 * 1024;
  const lines = [
    `uptime load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the start; ${native.blas.describe()}`,
    `native single-core sgemm 256 × 1024 × 1024: ${(peak * 1000).toFixed(2)} ms, ${(flops / peak / 1e9).toFixed(1)} GFLOP/s (the peak below)` +
      (torchPeak === undefined ? "" : `; torch.mm, 1 thread: ${(torchPeak * 1000).toFixed(2)} ms, ${(flops / torchPeak / 1e9).toFixed(1)} GFLOP/s`),
    `least CPU time over ${ROUNDS} interleaved rounds of 1 warm-up and ${REPEATS} runs per figure, the same on both sides; ours and PyTorch on 1 thread`,
    ...(peakRounds.note === undefined ? [] : [peakRounds.note]),
    "",
    row([
      "graph (784 → 10, batch 256)",
      "live",
      "ours native fwd / step (ms)",
      "before: native products, graph.wat, tf's Adam (ms)",
      "ours WASM fwd / step (ms)",
      "PyTorch CSR fwd / step (ms)",
      "deepstruct plan in PyTorch fwd / step (ms)",
      "CSR / ours",
      "plan / ours",
      "useful GFLOP/s",
      "% of native peak",
      "max |Δ logits| CSR / plan",
    ]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  const notes: string[] = [];
  for (const n of SIZES) {
    const { live, rounds, logits } = await measure(n);
    const [nf, ns, bf, bs, wf, ws] = rounds.ours as [number, number, number, number, number, number];
    const [cf, cs, pf, ps] = ["csrForward", "csrStep", "planForward", "planStep"].map((k) => rounds.peer?.[k]);
    const useful = (2 * BATCH * live) / nf / 1e9;
    const r = rounds.result;
    const agreement =
      rounds.peer === undefined || r === undefined
        ? "—"
        : `${maxDifference(logits, r.csrLogits as number[]).toExponential(1)} / ${maxDifference(logits, r.planLogits as number[]).toExponential(1)}`;
    lines.push(
      row([
        `Watts–Strogatz ${n.toLocaleString("en-US")}`,
        live,
        `${ms([nf, ns])} (step ${(ns / nf).toFixed(2)}× forward)`,
        `${ms([bf, bs])} (step ${(bs / bf).toFixed(2)}× forward)`,
        ms([wf, ws]),
        ms([cf, cs]),
        ms([pf, ps], 0),
        `${times(nf, cf)} / ${times(ns, cs)}`,
        `${times(nf, pf)} / ${times(ns, ps)}`,
        useful,
        `${((100 * useful * peak) / (flops / 1e9)).toFixed(1)}%`,
        agreement,
      ]),
    );
    console.error(`pytorch: ${lines.at(-1)}`);
    if (rounds.note !== undefined && rounds.note !== peakRounds.note) notes.push(`WS ${n}: ${rounds.note}`);
  }
  return notes.length === 0 ? lines : [...lines, "", ...notes];
}
