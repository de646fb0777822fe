/**
 * `npx tsx bench/dense-passes.ts [rounds]`: the fused native dense layer with
 * its own passes (native/dense.c: ReLU and the weight gradient's mask inside
 * the products, `w ⊙ mask` and ReLU's gradient on the pool, no multiply by a
 * mask of ones) against the layer as it ran before them (the backend's
 * kernels inside it: `useNativeLayerPasses(false)`), in one process, in
 * alternating rounds, so that a loaded machine's changes reach both sides
 * alike. WS 10,000 (784 → 10, batch 256), forward pass and Adam step, on 1
 * and 2 threads: the least critical path (the addon's criticalSeconds: at
 * one thread the main thread's CPU) of the whole run and of the dense
 * layer's two kernels inside it (timed by wrapping them).
 */
import { loadavg } from "node:os";
import { tf, useBackend } from "../runtime/index.js";
import { nativeStatus, setNativeThreads } from "../runtime/kernels/native/index.js";
import { useNativeLayerPasses } from "../runtime/kernels/native/dense-layer.js";
import { forwardAndStepRuns, wattsStrogatzNetwork } from "./network-timing.js";

const KERNELS = ["DeepstructDenseLayer", "DeepstructDenseLayerGrad"];

/** Wraps the dense layer's kernels so that `inside.seconds` adds up their critical path; returns the unwrapping. */
function wrapKernels(critical: () => number, inside: { seconds: number }): () => void {
  const originals = KERNELS.map((name) => tf.getKernel(name, "wasm")!);
  for (const kernel of originals) {
    tf.unregisterKernel(kernel.kernelName, "wasm");
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const start = critical();
        try {
          return kernel.kernelFunc(args);
        } finally {
          inside.seconds += critical() - start;
        }
      },
    });
  }
  return () => originals.forEach((kernel) => (tf.unregisterKernel(kernel.kernelName, "wasm"), tf.registerKernel(kernel)));
}

async function main(rounds: number): Promise<void> {
  await useBackend("wasm");
  const status = nativeStatus();
  if (!status.available || status.blas.criticalSeconds === undefined) throw new Error("bench/dense-passes.ts: needs the native part (npm run build:native)");
  const critical = status.blas.criticalSeconds.bind(status.blas);
  const x = tf.randomUniform([256, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: 256 }, (_, i) => (i * 7) % 10);
  const model = await wattsStrogatzNetwork(10000);
  const runs = forwardAndStepRuns({ forward: (input) => model.predict(input) as tf.Tensor2D, variables: model.parameters.map((p) => p.variable) }, x, labels);
  runs.step();
  const inside = { seconds: 0 };
  const unwrap = wrapKernels(critical, inside);
  const least = new Map<string, number>();
  const note = (key: string, seconds: number): void => void least.set(key, Math.min(least.get(key) ?? Infinity, seconds));
  const startLoad = loadavg()[0]!.toFixed(2);
  for (let round = 0; round < rounds; round++) {
    for (const passes of round % 2 === 0 ? [false, true] : [true, false]) {
      useNativeLayerPasses(passes);
      for (const threads of round % 4 < 2 ? [1, 2] : [2, 1]) {
        setNativeThreads(threads);
        runs.step();
        runs.forward();
        for (let i = 0; i < 3; i++) {
          for (const [what, run] of [
            ["forward", runs.forward],
            ["step", runs.step],
          ] as const) {
            inside.seconds = 0;
            const start = critical();
            run();
            note(`${what} ${passes} ${threads}`, critical() - start);
            note(`dense layer in ${what} ${passes} ${threads}`, inside.seconds);
          }
        }
      }
    }
  }
  unwrap();
  useNativeLayerPasses(true);
  setNativeThreads(1);
  runs.dispose();
  model.dispose();
  x.dispose();
  const ms = (key: string): string => (least.get(key)! * 1000).toFixed(2);
  console.log(`load average ${startLoad} at the start, ${loadavg()[0]!.toFixed(2)} at the end; ${rounds} rounds × 3 runs a side; least critical path (ms), passes off → on`);
  console.log("");
  console.log("| WS 10,000 | 1 thread | 2 threads |");
  console.log("| --- | --- | --- |");
  for (const what of ["forward", "dense layer in forward", "step", "dense layer in step"])
    console.log(`| ${what} | ${[1, 2].map((t) => `${ms(`${what} false ${t}`)} → ${ms(`${what} true ${t}`)}`).join(" | ")} |`);
}

const rounds = Number(process.argv[2] ?? 12);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`bench/dense-passes.ts: rounds must be a positive integer, got ${process.argv[2]}`);
await main(rounds);
