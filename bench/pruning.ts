/**
 * Global magnitude pruning of a network with 10 million weights (bar: under
 * 1 s). Baseline, same run: the plain way — every |w| into one array, a full
 * sort, the threshold read off at the percentile.
 */
import { createNetwork, prune, type Model } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { row } from "./timing.js";

export async function benchPruning(): Promise<string[]> {
  const { plans } = analyze("network Big { input 4000 dense 2500 output 4 }");
  const lines = [row(["weights", "percent", "prune() (s)", "sort baseline (s)", "speed-up"]), row(["---", "---", "---", "---", "---"])];
  for (const percent of [10, 50, 90]) {
    const model: Model = await createNetwork(networkSpec(plans![0]!), { backend: "cpu", seed: 0 });
    const total = model.totalConnections();
    let start = performance.now();
    const blocks = model.blocks.map((b) => model.getWeights(b.name));
    const all = new Float64Array(total);
    let next = 0;
    for (const w of blocks) for (const v of w) all[next++] = Math.abs(v);
    all.sort();
    const threshold = all[Math.floor((percent / 100) * total)];
    const baseline = (performance.now() - start) / 1000;
    if (threshold === undefined) throw new Error("bench: no threshold");
    start = performance.now();
    const result = prune(model, { amount: { percent } });
    const ours = (performance.now() - start) / 1000;
    if (result.pruned !== Math.floor((percent / 100) * total)) throw new Error("bench: wrong count pruned");
    lines.push(row([total, percent, ours, baseline, `${(baseline / ours).toFixed(1)}×`]));
    model.dispose();
  }
  return lines;
}
