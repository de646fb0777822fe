/**
 * Fused kernels against the plan of Python deepstruct — one masked dense
 * product per pair of connected layers, summed per target — on the same
 * weights, in the same run on WASM (with the native dense products where
 * they are built), batch 256. The unfused plan runs our masked dense kernel
 * (its fast gradient, the same products) per block, and both sides get the
 * same warm-up and repetitions; a throwaway network warms the process up
 * first, so the first graph is not charged for it. Useful work is 2 × batch
 * × live connections per forward second, against the native single-core
 * sgemm peak (256 × 1024 × 1024) measured in the same run. Also: compile
 * time and parameter memory as graphs grow.
 */
import { createNetwork, maskedDense, plannedParameters, tf, useBackend, type Execution, type Model } from "../runtime/index.js";
import { nativeDenseActive, nativeStatus, setNativeThreads } from "../runtime/kernels/native/index.js";
import { analyze, compile, networkSpec } from "../src/index.js";
import { medianOf, nativePeak, timeForwardAndStep, timeNetwork, type Repetitions, type Timed } from "./network-timing.js";
import { row } from "./timing.js";

const BATCH = 256;
const REPS: Repetitions = { forward: { warmup: 3, repeats: 7 }, step: { warmup: 1, repeats: 3 } };

const GRAPHS: readonly [string, string][] = [
  ["Watts–Strogatz 1,000", "watts_strogatz(n=1000, k=4, p=0.5, seed=1)"],
  ["Watts–Strogatz 3,000", "watts_strogatz(n=3000, k=4, p=0.5, seed=1)"],
  ["Watts–Strogatz 10,000", "watts_strogatz(n=10000, k=4, p=0.5, seed=1)"],
  ["balanced tree r=2 h=9", "balanced_tree(r=2, h=9)"],
  ["grid 32 × 32", "grid_2d(rows=32, cols=32)"],
];

const networkSource = (graph: string): string => `graph g = ${graph}\nnetwork N { input 64 structure g output 10 }`;

async function build(graph: string, execution: Execution): Promise<Model> {
  const { plans } = analyze(networkSource(graph));
  return createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0, execution });
}

/** The unfused plan on the same weights: our masked dense kernel per block, summed per target layer. */
function unfusedPlan(model: Model): Timed {
  const layerIndex = new Map(model.layers.map((l, i) => [l.name, i]));
  const blocks = model.blocks.map((b) => ({
    source: layerIndex.get(b.source)!,
    target: layerIndex.get(b.target)!,
    weight: tf.variable(tf.tensor2d(model.getWeights(b.name), [b.sourceSize, b.targetSize])),
    mask: tf.tensor2d(Float32Array.from(model.getMask(b.name)), [b.sourceSize, b.targetSize]),
    zero: tf.zeros([b.targetSize]) as tf.Tensor1D,
  }));
  const biases = model.layers.map((l, i) => (i === 0 ? undefined : tf.variable(tf.tensor1d(model.getBias(l.name)))));
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    const activations: tf.Tensor2D[] = [x];
    for (let t = 1; t < model.layers.length; t++) {
      const parts = blocks.filter((b) => b.target === t).map((b) => maskedDense(activations[b.source]!, b.weight, b.mask, b.zero, { inputNeedsGradient: b.source !== 0 }));
      const pre = tf.add(tf.addN(parts), biases[t]!) as tf.Tensor2D;
      activations[t] = t === model.layers.length - 1 ? pre : tf.relu(pre);
    }
    return activations[model.layers.length - 1]!;
  };
  const variables: tf.Variable[] = blocks.map((b) => b.weight);
  for (const bias of biases) if (bias !== undefined) variables.push(bias);
  return { forward, variables };
}

function disposePlan(plan: Timed): void {
  tf.dispose(plan.variables);
}

/** Untimed: a small network's forward passes and steps, so JIT and WebAssembly tier-up are paid before the first figure. */
async function warmUp(labels: Int32Array): Promise<void> {
  const model = await build(GRAPHS[0]![1], "auto");
  const x = tf.randomUniform([BATCH, 64], -1, 1, "float32", 9) as tf.Tensor2D;
  timeNetwork(model, x, labels, { forward: { warmup: 20, repeats: 1 }, step: { warmup: 10, repeats: 1 } }, "sgd");
  const plan = unfusedPlan(model);
  timeForwardAndStep(plan, x, labels, { forward: { warmup: 3, repeats: 1 }, step: { warmup: 2, repeats: 1 } }, "sgd");
  disposePlan(plan);
  x.dispose();
  model.dispose();
}

export async function benchFusion(): Promise<string[]> {
  await useBackend("wasm");
  const a = tf.randomUniform([BATCH, 1024]);
  const b = tf.randomUniform([1024, 1024]);
  const tfjsSeconds = medianOf(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), 3, 11);
  tf.dispose([a, b]);
  const flops = 2 * BATCH * 1024 * 1024;
  const native = nativeStatus();
  if (native.available) setNativeThreads(1);
  const peakSeconds = native.available ? nativePeak() : tfjsSeconds;
  const peak = flops / peakSeconds / 1e9;
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  await warmUp(labels);
  const lines = [
    native.available
      ? `native sgemm ${BATCH} × 1024 × 1024, 1 thread (${native.blas.describe()}): ${(peakSeconds * 1000).toFixed(2)} ms, ${peak.toFixed(1)} GFLOP/s (the peak below); TensorFlow.js matMul on wasm: ${(tfjsSeconds * 1000).toFixed(1)} ms, ${(flops / tfjsSeconds / 1e9).toFixed(1)} GFLOP/s`
      : `no native part (${native.reason}): the peak below is TensorFlow.js's matMul on wasm, ${(tfjsSeconds * 1000).toFixed(1)} ms, ${peak.toFixed(1)} GFLOP/s`,
    `dense products: ${nativeDenseActive() ? "native (OpenBLAS, 1 thread)" : "TensorFlow.js wasm"}; forward: median of ${REPS.forward.repeats} after ${REPS.forward.warmup}, SGD step: median of ${REPS.step.repeats} after ${REPS.step.warmup}, the same for both plans`,
    "",
    row([
      "graph",
      "live",
      "ops / kernels / blocks",
      "fused forward (ms)",
      "unfused forward (ms)",
      "forward speed-up",
      "fused step (ms)",
      "unfused step (ms)",
      "step speed-up",
      "useful GFLOP/s",
      "% of native peak",
    ]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  for (const [name, graph] of GRAPHS) {
    const model = await build(graph, "auto");
    const x = tf.randomUniform([BATCH, 64], -1, 1, "float32", 1) as tf.Tensor2D;
    const plan = unfusedPlan(model);
    // The unfused plan first, on the weights as built; then ours (its steps change its own weights only).
    const unfused = timeForwardAndStep(plan, x, labels, REPS, "sgd");
    const fused = timeNetwork(model, x, labels, REPS, "sgd");
    const live = model.liveConnections();
    const useful = (2 * BATCH * live) / fused.forward / 1e9;
    lines.push(
      row([
        name,
        live,
        `${model.execution.length} / ${model.spec.kernels.length} / ${model.blocks.length}`,
        fused.forward * 1000,
        unfused.forward * 1000,
        `${(unfused.forward / fused.forward).toFixed(1)}×`,
        fused.step * 1000,
        unfused.step * 1000,
        `${(unfused.step / fused.step).toFixed(1)}×`,
        useful,
        `${((100 * useful) / peak).toFixed(2)}%`,
      ]),
    );
    console.error(`fusion: ${lines.at(-1)}`);
    disposePlan(plan);
    x.dispose();
    model.dispose();
  }

  // Parameter memory by the runtime's own rule (plannedParameters), and what a built network allocates.
  lines.push("", row(["Watts–Strogatz vertices", "compile (s)", "build (s)", "live connections", "bound: 2 × (live + biases)", "planned weights + biases", "allocated, auto"]));
  lines.push(row(["---", "---", "---", "---", "---", "---", "---"]));
  for (const n of [1000, 10000, 100000]) {
    const start = performance.now();
    const result = await compile(networkSource(`watts_strogatz(n=${n}, k=4, p=0.5, seed=1)`));
    const seconds = (performance.now() - start) / 1000;
    if (result.plans === undefined) throw new Error("bench: compile failed");
    const spec = networkSpec(result.plans[0]!);
    // Storage is the same under every execution (canonical layout), so one plan serves all.
    const planned = plannedParameters(spec);
    const buildStart = performance.now();
    const model = await createNetwork(spec, { backend: "wasm", execution: "auto" });
    const buildSeconds = (performance.now() - buildStart) / 1000;
    const allocated = model.parameters.reduce((total, p) => total + p.variable.size, 0);
    model.dispose();
    lines.push(row([n, seconds, buildSeconds, planned.live, 2 * (planned.live + planned.biases), planned.weights + planned.biases, allocated]));
    console.error(`fusion: compiled ${n}`);
  }
  return lines;
}
