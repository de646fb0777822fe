/**
 * Global magnitude pruning of a network with 10 million weights (bar: under
 * 1 s; issue 20: at least as fast as torch.kthvalue's ranking alone).
 * prune() twice — on the native passes (native/select.c) and with
 * DEEPSTRUCT_NATIVE=0 (the JavaScript passes) — and, in the same run: the
 * plain way (every |w| into one array, a full sort, the threshold read off at
 * the percentile); where Debian's torch is installed, one thread, over the
 * same weights: torch.kthvalue of |w| (the ranking alone) and
 * torch.nn.utils.prune.global_unstructured with L1Unstructured on one
 * nn.Linear per block (the whole pruning call a PyTorch user makes). Timed as
 * every benchmark with a PyTorch peer is (bench/peers.ts interleavedWithPeer):
 * rounds alternate ours and PyTorch's, each one warm-up and the same number
 * of runs per side, each figure its least CPU time over all rounds; before
 * each run of either prune() the masks are reset to the full network, untimed.
 */
import { loadavg } from "node:os";
import { createNetwork, prune, type Model } from "../runtime/index.js";
import { nativeStatus, resetNativeStatus } from "../runtime/kernels/native/load.js";
import { nativePasses } from "../runtime/pruning/select-passes.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedWithPeer } from "./peers.js";
import { cpuSeconds, row } from "./timing.js";

const ROUNDS = 3;
const REPEATS = 3;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/**
 * interleavedMinimum with `reset(i)` before every run of runs[i], untimed: prune() changes the masks it ranks, so each
 * of its runs starts again from the full network (and the reset chooses the passes it runs on).
 */
function leastAfterReset(reset: (run: number) => void): (runs: readonly (() => void)[], repeats: number) => number[] {
  return (runs, repeats) => {
    const best = runs.map(() => Number.POSITIVE_INFINITY);
    for (let r = -1; r < repeats; r++) {
      runs.forEach((run, i) => {
        reset(i);
        const seconds = cpuSeconds(run);
        if (r >= 0) best[i] = Math.min(best[i]!, seconds); // r = -1: the warm-up
      });
    }
    return best;
  };
}

/** DEEPSTRUCT_NATIVE as prune() next reads it: "0" for the JavaScript passes, as it was for the native ones. */
function nativeSetting(off: boolean, saved: string | undefined): void {
  if (off) process.env.DEEPSTRUCT_NATIVE = "0";
  else if (saved === undefined) delete process.env.DEEPSTRUCT_NATIVE;
  else process.env.DEEPSTRUCT_NATIVE = saved;
  resetNativeStatus();
  nativeStatus(); // loaded here, untimed
}

/** Every block's weights one after another (model order, each row-major), and each block's [source, target]. */
function allWeights(model: Model): { weights: Float32Array; blocks: [number, number][] } {
  const weights = new Float32Array(model.totalConnections());
  let next = 0;
  for (const b of model.blocks) {
    const w = model.getWeights(b.name);
    weights.set(w, next);
    next += w.length;
  }
  return { weights, blocks: model.blocks.map((b) => [b.sourceSize, b.targetSize]) };
}

export async function benchPruning(): Promise<string[]> {
  const { plans } = analyze("network Big { input 4000 dense 2500 output 4 }", { limits: { connections: 20_000_000 } });
  const model: Model = await createNetwork(networkSpec(plans![0]!), { backend: "cpu", seed: 0 });
  const total = model.totalConnections();
  const names = model.blocks.map((b) => b.name);
  const full = names.map((name) => new Uint8Array(model.getMask(name).length).fill(1));
  const saved = process.env.DEEPSTRUCT_NATIVE;
  const native = nativePasses() !== undefined;
  const reset = (run: number): void => {
    names.forEach((name, i) => model.setMask(name, full[i]!));
    nativeSetting(run === 1, saved);
  };
  const { weights, blocks } = allWeights(model);
  const lines = [
    `uptime load ${load()} at the start; least CPU time over ${ROUNDS} interleaved rounds of 1 warm-up and ${REPEATS} runs per side; PyTorch on 1 thread; native passes ${native ? "built" : "absent (both prune() columns run the JavaScript passes)"}`,
    "",
    row([
      "weights",
      "percent",
      "prune() native (s)",
      "prune() DEEPSTRUCT_NATIVE=0 (s)",
      "sort baseline (s)",
      "torch.kthvalue (s)",
      "global_unstructured (s)",
      "kthvalue / prune()",
      "global_unstructured / prune()",
    ]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  let note: string | undefined;
  for (const percent of [10, 50, 90]) {
    const k = Math.floor((percent / 100) * total);
    const sortBaseline = (): void => {
      const all = new Float64Array(total);
      for (let i = 0; i < total; i++) all[i] = Math.abs(weights[i]!);
      all.sort();
      if (!(all[k]! >= 0)) throw new Error("bench: no threshold");
    };
    const ours = (): void => {
      if (prune(model, { amount: { percent } }).pruned !== k) throw new Error("bench: wrong count pruned");
    };
    const task = { kind: "kthvalue", k: Math.max(1, k), blocks };
    const rounds = interleavedWithPeer([ours, ours, sortBaseline], task, { "weights.bin": weights }, ROUNDS, REPEATS, { ours: leastAfterReset(reset) });
    nativeSetting(false, saved);
    const [nativeSeconds, jsSeconds, sortSeconds] = rounds.ours as [number, number, number];
    const { kthvalue, globalUnstructured } = rounds.peer ?? {};
    if (rounds.result?.pruned !== undefined && rounds.result.pruned !== k) throw new Error(`bench: global_unstructured pruned ${String(rounds.result.pruned)}, not ${k}`);
    note ??= rounds.note;
    const ratio = (peer: number | undefined): string => (peer === undefined ? "—" : `${(peer / nativeSeconds).toFixed(1)}×`);
    lines.push(row([total, percent, nativeSeconds, jsSeconds, sortSeconds, kthvalue ?? "—", globalUnstructured ?? "—", ratio(kthvalue), ratio(globalUnstructured)]));
    console.error(`pruning: ${lines.at(-1)}`);
  }
  model.dispose();
  lines.push("", `uptime load ${load()} at the end`);
  if (note !== undefined) lines.push("", note);
  return lines;
}
