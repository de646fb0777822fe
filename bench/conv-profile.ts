/**
 * The conv bench's pruned and unpruned networks kernel by kernel:
 * `npx tsx bench/conv-profile.ts [forward|step] [pruned|unpruned]`. Every
 * WASM kernel (the native conv's too) wrapped to take its CPU time; after
 * warm-up runs, per kernel call the least of its times over the runs, summed
 * per kernel name, beside the least CPU time of the whole pass.
 */
import { loadavg } from "node:os";
import { tf } from "../runtime/index.js";
import { pruningRuns } from "./conv.js";

const [WARM_UP, RUNS] = [5, 20];
const mode = process.argv[2] ?? "forward";
const which = process.argv[3] === "unpruned" ? 0 : 1;
const runs = await pruningRuns();
const run = (mode === "step" ? runs.step : runs.forward)[which]!;
for (let i = 0; i < WARM_UP; i++) run();

let calls: [string, number][] = [];
const shapes: string[] = [];
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
      shapes[calls.length - 1] = Object.values(args.inputs)
        .map((t) => `[${(t as tf.TensorInfo).shape.join(",")}]`)
        .join(" ");
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
  else calls.forEach(([name, us], i) => (least![i]![1] = Math.min(least![i]![1], least![i]![0] === name ? us : Infinity)));
}
if (process.argv[4] === "calls") least!.forEach(([name, us], i) => console.log(`${i} ${name} ${us} ${shapes[i]}`));
const byName = new Map<string, { calls: number; us: number }>();
for (const [name, us] of least!) {
  const entry = byName.get(name) ?? { calls: 0, us: 0 };
  byName.set(name, { calls: entry.calls + 1, us: entry.us + us });
}
const total = [...byName.values()].reduce((n, e) => n + e.us, 0);
console.log(`${which === 1 ? "pruned" : "unpruned"} ${mode}; load average ${loadavg()[0]!.toFixed(1)}`);
console.log("| kernel | calls | least CPU time (µs) |\n| --- | --- | --- |");
for (const [name, e] of [...byName].sort((a, b) => b[1].us - a[1].us)) console.log(`| ${name} | ${e.calls} | ${e.us} |`);
console.log(`| all kernels | ${least!.length} | ${total} |\n| the whole ${mode} | | ${whole} |`);
runs.dispose();
