/**
 * Global magnitude pruning of a network with 10 million weights (bar: under
 * 1 s). Baseline, same run: the plain way — every |w| into one array, a full
 * sort, the threshold read off at the percentile; and, where Debian's torch
 * is installed, torch.kthvalue of |w| over the same weights (one thread), the
 * rank selection a PyTorch pruning library runs. Timed as every benchmark
 * with a PyTorch peer is (bench/peers.ts interleavedWithPeer): rounds
 * alternate ours and PyTorch's, each one warm-up and the same number of runs
 * per side, each figure its least CPU time over all rounds.
 */
import { loadavg } from "node:os";
import { createNetwork, prune, type Model } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedWithPeer } from "./peers.js";
import { cpuSeconds, row } from "./timing.js";

const ROUNDS = 3;
const REPEATS = 3;

/**
 * interleavedMinimum with `reset` before every run, untimed: prune() changes the masks it ranks, so each of its runs
 * starts again from the full network.
 */
function leastAfterReset(reset: () => void): (runs: readonly (() => void)[], repeats: number) => number[] {
  return (runs, repeats) => {
    const best = runs.map(() => Number.POSITIVE_INFINITY);
    for (let r = -1; r < repeats; r++) {
      runs.forEach((run, i) => {
        reset();
        const seconds = cpuSeconds(run);
        if (r >= 0) best[i] = Math.min(best[i]!, seconds); // r = -1: the warm-up
      });
    }
    return best;
  };
}

export async function benchPruning(): Promise<string[]> {
  const { plans } = analyze("network Big { input 4000 dense 2500 output 4 }", { limits: { connections: 20_000_000 } });
  const model: Model = await createNetwork(networkSpec(plans![0]!), { backend: "cpu", seed: 0 });
  const total = model.totalConnections();
  const blocks = model.blocks.map((b) => b.name);
  const full = blocks.map((name) => new Uint8Array(model.getMask(name).length).fill(1));
  const reset = (): void => blocks.forEach((name, i) => model.setMask(name, full[i]!));
  const weights = new Float32Array(total);
  let next = 0;
  for (const name of blocks) {
    const w = model.getWeights(name);
    weights.set(w, next);
    next += w.length;
  }
  const lines = [
    `uptime load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the start; least CPU time over ${ROUNDS} interleaved rounds of 1 warm-up and ${REPEATS} runs per side; PyTorch on 1 thread`,
    "",
    row(["weights", "percent", "prune() (s)", "sort baseline (s)", "torch.kthvalue (s)", "sort / prune()", "kthvalue / prune()"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
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
    const rounds = interleavedWithPeer([ours, sortBaseline], { kind: "kthvalue", k: Math.max(1, k) }, { "weights.bin": weights }, ROUNDS, REPEATS, {
      ours: leastAfterReset(reset),
    });
    const [pruneSeconds, sortSeconds] = rounds.ours as [number, number];
    const kth = rounds.peer?.kthvalue;
    note ??= rounds.note;
    lines.push(
      row([total, percent, pruneSeconds, sortSeconds, kth ?? "—", `${(sortSeconds / pruneSeconds).toFixed(1)}×`, kth === undefined ? "—" : `${(kth / pruneSeconds).toFixed(2)}×`]),
    );
    console.error(`pruning: ${lines.at(-1)}`);
  }
  model.dispose();
  if (note !== undefined) lines.push("", note);
  return lines;
}
