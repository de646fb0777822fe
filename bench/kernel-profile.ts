/**
 * A pass kernel by kernel, for bench/lenet-profile.ts and bench/conv-profile.ts:
 * every WASM kernel's function wrapped to take its CPU time, then per kernel
 * call (the calls come in the same order every run) the least of its times
 * over the runs, summed per kernel name, beside the least CPU time of the
 * whole run: what is not in a kernel is the engine's dispatch and tape, and
 * our JavaScript around them. A kernel called from inside another (the loss's
 * Softmax) counts in both.
 */
import { loadavg } from "node:os";
import { tf } from "../runtime/index.js";

export interface KernelProfile {
  /** Per call, in order: the kernel's name, its least CPU time (µs) and its inputs' shapes. */
  readonly calls: readonly { readonly name: string; readonly us: number; readonly shapes: string }[];
  /** The least CPU time of a whole run (µs). */
  readonly whole: number;
}

const cpu = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

/** Times `runs` runs of `run` (warmed up already) kernel call by kernel call; wraps the WASM kernels for good. */
export function profileKernels(run: () => void, runs: number): KernelProfile {
  let calls: { name: string; us: number; shapes: string }[] = [];
  for (const config of tf.getKernelsForBackend("wasm")) {
    const kernel = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = process.cpuUsage();
        const result = kernel(args);
        const us = cpu(start);
        const shapes = Object.values(args.inputs)
          .map((t) => `[${(t as tf.TensorInfo).shape.join(",")}]`)
          .join(" ");
        calls.push({ name: config.kernelName, us, shapes });
        return result;
      },
    });
  }
  let least: { name: string; us: number; shapes: string }[] | undefined;
  let whole = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    calls = [];
    const start = process.cpuUsage();
    run();
    whole = Math.min(whole, cpu(start));
    if (least === undefined) least = calls;
    else
      calls.forEach(({ name, us }, i) => {
        if (least![i]?.name !== name) throw new Error(`kernel profile: call ${i} is ${name} in run ${r}, ${least![i]?.name} before`);
        least![i]!.us = Math.min(least![i]!.us, us);
      });
  }
  return { calls: least ?? [], whole };
}

/** The profile as a table, per kernel name (most time first), under `title` and the load average. */
export function printKernelProfile(title: string, pass: string, profile: KernelProfile): void {
  const byName = new Map<string, { calls: number; us: number }>();
  for (const { name, us } of profile.calls) {
    const entry = byName.get(name) ?? { calls: 0, us: 0 };
    byName.set(name, { calls: entry.calls + 1, us: entry.us + us });
  }
  const total = [...byName.values()].reduce((n, e) => n + e.us, 0);
  console.log(`${title}; load average ${loadavg()[0]!.toFixed(1)}`);
  console.log("| kernel | calls | least CPU time (µs) |\n| --- | --- | --- |");
  for (const [name, e] of [...byName].sort((a, b) => b[1].us - a[1].us)) console.log(`| ${name} | ${e.calls} | ${e.us} |`);
  console.log(`| all kernels | ${profile.calls.length} | ${total} |\n| the whole ${pass} | | ${profile.whole} |`);
}
