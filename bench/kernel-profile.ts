/**
 * A pass kernel by kernel, for bench/lenet-profile.ts and bench/conv-profile.ts:
 * every WASM kernel's function wrapped to take its CPU time, then per kernel
 * call (the calls come in the same order every run) the least of its times
 * over the runs, summed per kernel name, beside the least CPU time of the
 * whole run: what is not in a kernel is the engine's dispatch and tape, and
 * our JavaScript around them. A kernel called from inside another (the loss's
 * Softmax, the native dense layer's mask Multiply, Relu and Step) is listed
 * under its name, and counted once in the total: in the kernel around it.
 */
import { loadavg } from "node:os";
import { tf } from "../runtime/index.js";

export interface KernelProfile {
  /** Per call, in order: the kernel's name, its least CPU time (µs), its inputs' shapes, and whether it ran inside another kernel. */
  readonly calls: readonly { readonly name: string; readonly us: number; readonly shapes: string; readonly nested: boolean }[];
  /** The least CPU time of a whole run (µs). */
  readonly whole: number;
}

const cpu = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

/** Times `runs` runs of `run` (warmed up already) kernel call by kernel call; wraps the WASM kernels for good. */
export function profileKernels(run: () => void, runs: number): KernelProfile {
  let calls: { name: string; us: number; shapes: string; nested: boolean }[] = [];
  let depth = 0;
  for (const config of tf.getKernelsForBackend("wasm")) {
    const kernel = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = process.cpuUsage();
        const nested = depth++ > 0;
        let result: ReturnType<typeof kernel>;
        try {
          result = kernel(args);
        } finally {
          depth--;
        }
        const us = cpu(start);
        const shapes = Object.values(args.inputs)
          .map((t) => `[${(t as tf.TensorInfo).shape.join(",")}]`)
          .join(" ");
        calls.push({ name: config.kernelName, us, shapes, nested });
        return result;
      },
    });
  }
  let least: { name: string; us: number; shapes: string; nested: boolean }[] | undefined;
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

/** The profile as a table, per kernel name (most time first; calls inside another kernel counted apart), under `title` and the load average. */
export function printKernelProfile(title: string, pass: string, profile: KernelProfile): void {
  const byName = new Map<string, { calls: number; inside: number; us: number }>();
  for (const { name, us, nested } of profile.calls) {
    const entry = byName.get(name) ?? { calls: 0, inside: 0, us: 0 };
    byName.set(name, { calls: entry.calls + 1, inside: entry.inside + (nested ? 1 : 0), us: entry.us + us });
  }
  const outermost = profile.calls.filter((c) => !c.nested);
  const total = outermost.reduce((n, c) => n + c.us, 0);
  console.log(`${title}; load average ${loadavg()[0]!.toFixed(1)}`);
  console.log("| kernel | calls | least CPU time (µs) |\n| --- | --- | --- |");
  for (const [name, e] of [...byName].sort((a, b) => b[1].us - a[1].us)) console.log(`| ${name} | ${e.calls}${e.inside > 0 ? ` (${e.inside} inside another)` : ""} | ${e.us} |`);
  console.log(`| all kernels (each once: those inside another in its time) | ${outermost.length} | ${total} |`);
  console.log(`| the whole ${pass} | | ${profile.whole} |\n| outside kernels (engine, tape, JavaScript) | | ${profile.whole - total} |`);
}
