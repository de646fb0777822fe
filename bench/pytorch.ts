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
 * Rounds alternate ours and PyTorch's, so drift of the shared machine reaches
 * both; each figure is the median over rounds of each round's median (same
 * warm-up and repetitions on both sides). Useful work, 2 × batch × live
 * connections per forward second, is divided by the native single-core sgemm
 * peak (256 × 1024 × 1024, OpenBLAS through our addon) measured in the same
 * run. Then 1 against 2 threads at WS 10,000 (the BLAS's threads; PyTorch's
 * intra-op threads).
 */
import { loadavg } from "node:os";
import { createNetwork, tf, useBackend, type Model } from "../runtime/index.js";
import { nativeDenseActive, nativeStatus, setNativeThreads, useNativeDense, useNativeGraph } from "../runtime/kernels/native/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { median, networkArrays, runPeer, torchMissing, type PeerResult } from "./peers.js";
import { nativePeak, timeNetwork, type Repetitions } from "./network-timing.js";
import { row } from "./timing.js";

const BATCH = 256;
const ROUNDS = 3;
const REPS: Repetitions = { forward: { warmup: 3, repeats: 7 }, step: { warmup: 2, repeats: 5 } };
const SIZES = [3000, 10000] as const;

async function build(n: number): Promise<Model> {
  const { plans } = analyze(`graph g = watts_strogatz(n=${n}, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }`);
  return createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0, execution: "auto" });
}

interface Figures {
  native: { forward: number[]; step: number[] };
  /** Native dense products with graph.wat and TensorFlow.js's Adam: the state before the native graph kernel and the fused step. */
  before: { forward: number[]; step: number[] };
  wasm: { forward: number[]; step: number[] };
  peers: PeerResult[];
  /** Peer runs that failed (timed out on a loaded machine), said under the table. */
  failures: string[];
}

const times = (ours: number, theirs: number | undefined): string => (theirs === undefined ? "—" : `${(theirs / ours).toFixed(2)}×`);

function maxDifference(a: ArrayLike<number>, b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

async function measure(n: number, missing: string | undefined, threads: number): Promise<{ model: Model; figures: Figures; logits: Float32Array }> {
  const model = await build(n);
  const x = tf.randomUniform([BATCH, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  const logits = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
  const { sizes, arrays } = networkArrays(model, x.dataSync() as Float32Array, labels);
  const figures: Figures = { native: { forward: [], step: [] }, before: { forward: [], step: [] }, wasm: { forward: [], step: [] }, peers: [], failures: [] };
  setNativeThreads(threads);
  for (let round = 0; round < ROUNDS; round++) {
    const peer = (): void => {
      if (missing !== undefined) return;
      try {
        figures.peers.push(runPeer({ kind: "network", sizes, batch: BATCH, threads, plan: round === 0 && threads === 1, forward: REPS.forward, step: REPS.step }, arrays));
      } catch (error) {
        figures.failures.push((error as Error).message);
      }
    };
    if (round % 2 === 1) peer();
    for (const side of ["native", "before", "wasm"] as const) {
      useNativeDense(side !== "wasm");
      useNativeGraph(side === "native");
      // A fresh copy each time, so every side starts from the same weights (Adam steps change them).
      const copy = await build(n);
      const t = timeNetwork(copy, x, labels, REPS, side === "before" ? "tfjs-adam" : "adam");
      figures[side].forward.push(t.forward);
      figures[side].step.push(t.step);
      copy.dispose();
    }
    useNativeDense(true);
    useNativeGraph(true);
    if (round % 2 === 0) peer();
    console.error(
      `pytorch: WS ${n}, ${threads} thread(s), round ${round + 1}/${ROUNDS}: native ${(figures.native.forward.at(-1)! * 1000).toFixed(1)} / ${(figures.native.step.at(-1)! * 1000).toFixed(1)} ms`,
    );
  }
  x.dispose();
  return { model, figures, logits };
}

function peerMedian(peers: readonly PeerResult[], key: string): number | undefined {
  const values = peers.map((p) => p[key]).filter((v): v is number => typeof v === "number");
  return values.length === 0 ? undefined : median(values);
}

export async function benchPytorch(): Promise<string[]> {
  await useBackend("wasm");
  const native = nativeStatus();
  if (!native.available || !nativeDenseActive()) return [`native dense products unavailable (${native.available ? "not on this backend" : native.reason}): nothing to compare`];
  const missing = torchMissing();
  setNativeThreads(1);
  const peak = nativePeak();
  const torchPeak = missing === undefined ? (runPeer({ kind: "peak", threads: 1, warmup: 5, repeats: 21 }).seconds as number) : undefined;
  const flops = 2 * 256 * 1024 * 1024;
  const lines = [
    `uptime load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${native.blas.describe()}`,
    `native single-core sgemm 256 × 1024 × 1024: ${(peak * 1000).toFixed(2)} ms, ${(flops / peak / 1e9).toFixed(1)} GFLOP/s (the peak below)` +
      (torchPeak === undefined ? "" : `; torch.mm, 1 thread: ${(torchPeak * 1000).toFixed(2)} ms, ${(flops / torchPeak / 1e9).toFixed(1)} GFLOP/s`),
    `median over ${ROUNDS} interleaved rounds of each round's median: forward ${REPS.forward.repeats} after ${REPS.forward.warmup}, Adam step ${REPS.step.repeats} after ${REPS.step.warmup}, same on both sides; Python deepstruct's plan: first round only`,
    ...(missing === undefined ? [] : [missing]),
    "",
    row([
      "graph (784 → 10, batch 256)",
      "threads",
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
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  const notes: string[] = [];
  for (const n of SIZES) {
    for (const threads of n === 10000 ? [1, 2] : [1]) {
      const { model, figures, logits } = await measure(n, missing, threads);
      const [nf, ns, wf, ws] = [median(figures.native.forward), median(figures.native.step), median(figures.wasm.forward), median(figures.wasm.step)];
      const [bf, bs] = [median(figures.before.forward), median(figures.before.step)];
      const [cf, cs, pf, ps] = ["csrForward", "csrStep", "planForward", "planStep"].map((k) => peerMedian(figures.peers, k));
      const live = model.liveConnections();
      const useful = (2 * BATCH * live) / nf / 1e9;
      const first = figures.peers[0];
      const agreement =
        first === undefined
          ? "—"
          : `${maxDifference(logits, first.csrLogits as number[]).toExponential(1)} / ${maxDifference(logits, first.planLogits as number[]).toExponential(1)}`;
      lines.push(
        row([
          `Watts–Strogatz ${n.toLocaleString("en-US")}`,
          threads,
          live,
          `${(nf * 1000).toFixed(1)} / ${(ns * 1000).toFixed(1)} (step ${(ns / nf).toFixed(2)}× forward)`,
          `${(bf * 1000).toFixed(1)} / ${(bs * 1000).toFixed(1)} (step ${(bs / bf).toFixed(2)}× forward)`,
          `${(wf * 1000).toFixed(1)} / ${(ws * 1000).toFixed(1)}`,
          cf === undefined ? "—" : `${(cf * 1000).toFixed(1)} / ${(cs! * 1000).toFixed(1)}`,
          pf === undefined ? "—" : `${(pf * 1000).toFixed(0)} / ${(ps! * 1000).toFixed(0)}`,
          `${times(nf, cf)} / ${times(ns, cs)}`,
          pf === undefined ? "—" : `${times(nf, pf)} / ${times(ns, ps)}`,
          useful,
          `${((100 * useful * peak) / (flops / 1e9)).toFixed(1)}%`,
          agreement,
        ]),
      );
      console.error(`pytorch: ${lines.at(-1)}`);
      for (const failure of figures.failures) notes.push(`WS ${n}, ${threads} thread(s): ${failure}`);
      model.dispose();
    }
  }
  setNativeThreads(1);
  return notes.length === 0 ? lines : [...lines, "", ...notes];
}
