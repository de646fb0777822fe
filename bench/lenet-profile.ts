/**
 * LeNet-300-100 kernel by kernel: `npx tsx bench/lenet-profile.ts [global|layer|none] [step|forward]`.
 * The model of `npm run bench lenet` (95% pruned by global or per-layer magnitude, or
 * dense), one Adam step (or forward pass) at batch 256 on one BLAS thread, with every
 * WASM kernel's function wrapped to take its CPU time; after 30 warm-up runs, 60 runs,
 * and per kernel call (the calls come in the same order every run) the least of its
 * 60 times, summed per kernel name. Beside it the least CPU time of the whole run: what
 * is not in a kernel is the engine's dispatch and tape, and our JavaScript around them.
 * A kernel called from inside another (the loss's Softmax) counts in both.
 */
import { createNetwork, createOptimizer, prune, tf } from "../runtime/index.js";
import { setNativeThreads, useNativeGraph } from "../runtime/kernels/native/index.js";
import { loss } from "../runtime/training/losses.js";
import { analyze, networkSpec } from "../src/index.js";
import { loadavg } from "node:os";

const SOURCE = "network LeNet { input 784 dense 300 dense 100 output 10 }";
const [WARM_UP, RUNS] = [30, 60];
const scope = (process.argv[2] ?? "global") as "global" | "layer" | "none";
const mode = process.argv[3] ?? "step";

setNativeThreads(1);
if (process.argv[4] === "wat") useNativeGraph(false);
const model = await createNetwork(networkSpec(analyze(SOURCE).plans![0]!), { backend: "wasm", seed: 0, execution: "auto" });
if (scope !== "none") prune(model, { amount: { percent: 95 }, scope });
const x = tf.randomUniform([256, 784], 0, 1, "float32", 1) as tf.Tensor2D;
const labels = tf.tensor1d(
  Int32Array.from({ length: 256 }, (_, i) => (i * 7) % 10),
  "int32",
);
const y = tf.oneHot(labels, 10) as tf.Tensor2D;
const variables = model.parameters.map((p) => p.variable);
const optimizer = createOptimizer("adam");
const step = (): void => {
  const cost = optimizer.minimize(() => loss("crossEntropy", model.predict(x) as tf.Tensor2D, y), true, variables)!;
  cost.dataSync();
  cost.dispose();
};
const forward = (): void => tf.tidy(() => void model.predict(x).dataSync());
const run = mode === "step" ? step : forward;
for (let i = 0; i < WARM_UP; i++) run();

let calls: [string, number][] = [];
const cpu = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};
for (const config of tf.getKernelsForBackend("wasm")) {
  const kernel = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, "wasm");
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      const start = process.cpuUsage();
      const result = kernel(args);
      calls.push([config.kernelName, cpu(start)]);
      return result;
    },
  });
}
let least: [string, number][] | undefined;
let whole = Number.POSITIVE_INFINITY;
for (let r = 0; r < RUNS; r++) {
  calls = [];
  const start = process.cpuUsage();
  run();
  whole = Math.min(whole, cpu(start));
  if (least === undefined) least = calls;
  else
    calls.forEach(([name, us], i) => {
      if (least![i]![0] !== name) throw new Error(`lenet-profile: call ${i} is ${name} in run ${r}, ${least![i]![0]} before`);
      least![i]![1] = Math.min(least![i]![1], us);
    });
}
const byName = new Map<string, { calls: number; us: number }>();
for (const [name, us] of least!) {
  const entry = byName.get(name) ?? { calls: 0, us: 0 };
  byName.set(name, { calls: entry.calls + 1, us: entry.us + us });
}
const total = [...byName.values()].reduce((n, e) => n + e.us, 0);
console.log(`${scope} ${mode}, execution ${model.execution.map((s) => `${s.kind}(${s.layers.join(", ")})`).join(", ")}; load average ${loadavg()[0]!.toFixed(1)}`);
console.log("| kernel | calls | least CPU time (µs) |\n| --- | --- | --- |");
for (const [name, e] of [...byName].sort((a, b) => b[1].us - a[1].us)) console.log(`| ${name} | ${e.calls} | ${e.us} |`);
console.log(`| all kernels | ${least!.length} | ${total} |\n| the whole ${mode} | | ${whole} |`);
if (process.env.SEQUENCE === "1") console.log(least!.map(([n, us]) => `${n} ${us}`).join("\n"));
