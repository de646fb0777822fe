/**
 * Global magnitude pruning of a network with 10 million weights (bar: under
 * 1 s). Baseline, same run: the plain way — every |w| into one array, a full
 * sort, the threshold read off at the percentile; and, where Debian's torch
 * is installed, torch.kthvalue of |w| over the same weights (one thread), the
 * rank selection a PyTorch pruning library runs. Each the median of 3 after 1.
 */
import { createNetwork, prune, type Model } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { runPeer, torchMissing } from "./peers.js";
import { medianOf } from "./network-timing.js";
import { row } from "./timing.js";

export async function benchPruning(): Promise<string[]> {
  const { plans } = analyze("network Big { input 4000 dense 2500 output 4 }", { limits: { connections: 20_000_000 } });
  const missing = torchMissing();
  const lines = [
    row(["weights", "percent", "prune() (s)", "sort baseline (s)", "torch.kthvalue (s)", "sort / prune()", "kthvalue / prune()"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
  ];
  for (const percent of [10, 50, 90]) {
    const model: Model = await createNetwork(networkSpec(plans![0]!), { backend: "cpu", seed: 0 });
    const total = model.totalConnections();
    const blocks = model.blocks.map((b) => model.getWeights(b.name));
    let threshold: number | undefined;
    const baseline = medianOf(
      () => {
        const all = new Float64Array(total);
        let next = 0;
        for (const w of blocks) for (const v of w) all[next++] = Math.abs(v);
        all.sort();
        threshold = all[Math.floor((percent / 100) * total)];
      },
      1,
      3,
    );
    if (threshold === undefined) throw new Error("bench: no threshold");
    const k = Math.floor((percent / 100) * total);
    const weights = new Float32Array(total);
    let next = 0;
    for (const w of blocks) weights.set(w, (next += w.length) - w.length);
    const peer = missing === undefined ? runPeer({ kind: "kthvalue", k: Math.max(1, k), threads: 1, warmup: 1, repeats: 3 }, { "weights.bin": weights }) : undefined;
    // prune() changes the model, so each timed run gets a fresh one (built outside the timing).
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const fresh = i === 0 ? model : await createNetwork(networkSpec(plans![0]!), { backend: "cpu", seed: 0 });
      const start = performance.now();
      const result = prune(fresh, { amount: { percent } });
      if (i > 0) times.push((performance.now() - start) / 1000);
      if (result.pruned !== k) throw new Error("bench: wrong count pruned");
      fresh.dispose();
    }
    const ours = times.sort((a, b) => a - b)[1]!;
    const kth = peer?.seconds as number | undefined;
    lines.push(row([total, percent, ours, baseline, kth ?? "—", `${(baseline / ours).toFixed(1)}×`, kth === undefined ? "—" : `${(kth / ours).toFixed(2)}×`]));
  }
  if (missing !== undefined) lines.push("", missing);
  return lines;
}
