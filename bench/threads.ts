/**
 * One thread against two for the native dense products (OpenBLAS's thread
 * pool), interleaved in one run: the sgemm 256 × 1024 × 1024 and
 * Watts–Strogatz 10,000 as the structure of 784 → 10, batch 256, forward pass
 * and Adam step, ours only. Three rounds alternate the order; each figure is
 * the median over rounds (forward 7 after 3, step 5 after 2, as in
 * bench/pytorch.ts, whose PyTorch peers this leaves out for speed).
 */
import { loadavg } from "node:os";
import { createNetwork, tf, useBackend } from "../runtime/index.js";
import { nativeStatus, setNativeThreads } from "../runtime/kernels/native/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { median } from "./peers.js";
import { nativePeak, timeNetwork } from "./network-timing.js";
import { row } from "./timing.js";

const ROUNDS = 3;

export async function benchThreads(): Promise<string[]> {
  await useBackend("wasm");
  const status = nativeStatus();
  if (!status.available) return [`no native part (${status.reason}): nothing to thread`];
  const { plans } = analyze(`graph g = watts_strogatz(n=10000, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }`);
  const x = tf.randomUniform([256, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: 256 }, (_, i) => (i * 7) % 10);
  const figures = new Map([1, 2].map((t) => [t, { peak: [] as number[], forward: [] as number[], step: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of round % 2 === 0 ? [1, 2] : [2, 1]) {
      setNativeThreads(threads);
      const f = figures.get(threads)!;
      f.peak.push((2 * 256 * 1024 * 1024) / nativePeak() / 1e9);
      const model = await createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0 });
      const t = timeNetwork(model, x, labels, { forward: { warmup: 3, repeats: 7 }, step: { warmup: 2, repeats: 5 } });
      f.forward.push(t.forward * 1000);
      f.step.push(t.step * 1000);
      model.dispose();
    }
    console.error(`threads: round ${round + 1}/${ROUNDS}`);
  }
  x.dispose();
  setNativeThreads(1);
  const [one, two] = [figures.get(1)!, figures.get(2)!].map((f) => ({ peak: median(f.peak), forward: median(f.forward), step: median(f.step) }));
  return [
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${status.blas.describe()}`,
    "",
    row(["threads", "sgemm 256 × 1024 × 1024 (GFLOP/s)", "WS 10,000 forward (ms)", "WS 10,000 Adam step (ms)"]),
    row(["---", "---", "---", "---"]),
    row([1, one!.peak, one!.forward, one!.step]),
    row([2, two!.peak, two!.forward, two!.step]),
    row(["2 against 1", `${(two!.peak / one!.peak).toFixed(2)}×`, `${(one!.forward / two!.forward).toFixed(2)}×`, `${(one!.step / two!.step).toFixed(2)}×`]),
  ];
}
