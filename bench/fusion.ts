/**
 * Fused kernels against the plan of Python deepstruct — one masked dense
 * product per pair of connected layers, summed per target — and against the
 * machine's plain matMul, all in the same run on WASM, batch 256. Useful work
 * is 2 × batch × live connections per forward pass. Also: compile time and
 * parameter memory as graphs grow.
 */
import { createNetwork, plannedParameters, tf, useBackend, type Execution, type Model } from "../runtime/index.js";
import { analyze, compile, networkSpec } from "../src/index.js";
import { medianSeconds, row } from "./timing.js";

const BATCH = 256;

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

/** The unfused plan on the same weights: a masked dense product per block, summed per target layer. */
function unfusedPlan(model: Model): { forward: (x: tf.Tensor2D) => tf.Tensor2D; variables: tf.Variable[] } {
  const layerIndex = new Map(model.layers.map((l, i) => [l.name, i]));
  const blocks = model.blocks.map((b) => ({
    source: layerIndex.get(b.source)!,
    target: layerIndex.get(b.target)!,
    weight: tf.variable(tf.tensor2d(model.getWeights(b.name), [b.sourceSize, b.targetSize])),
    mask: tf.tensor2d(Float32Array.from(model.getMask(b.name)), [b.sourceSize, b.targetSize]),
  }));
  const biases = model.layers.map((l, i) => (i === 0 ? undefined : tf.variable(tf.tensor1d(model.getBias(l.name)))));
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    const activations: tf.Tensor2D[] = [x];
    for (let t = 1; t < model.layers.length; t++) {
      const parts = blocks.filter((b) => b.target === t).map((b) => tf.matMul(activations[b.source]!, tf.mul(b.weight, b.mask) as tf.Tensor2D));
      const pre = tf.add(tf.addN(parts), biases[t]!) as tf.Tensor2D;
      activations[t] = t === model.layers.length - 1 ? pre : tf.relu(pre);
    }
    return activations[model.layers.length - 1]!;
  };
  const variables: tf.Variable[] = blocks.map((b) => b.weight);
  for (const bias of biases) if (bias !== undefined) variables.push(bias);
  return { forward, variables };
}

export async function benchFusion(): Promise<string[]> {
  await useBackend("wasm");
  const a = tf.randomUniform([BATCH, 1024]);
  const b = tf.randomUniform([1024, 1024]);
  const peakSeconds = medianSeconds(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), 5);
  const peak = (2 * BATCH * 1024 * 1024) / peakSeconds / 1e9;
  tf.dispose([a, b]);
  const lines = [
    `matMul ${BATCH} × 1024 × 1024 on ${tf.getBackend()}: ${(peakSeconds * 1000).toFixed(1)} ms, ${peak.toFixed(1)} GFLOP/s (the peak below)`,
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
      "% of peak",
    ]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  for (const [name, graph] of GRAPHS) {
    const model = await build(graph, "auto");
    const x = tf.randomUniform([BATCH, 64], -1, 1, "float32", 1) as tf.Tensor2D;
    const y = tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 10),
      "int32",
    );
    const fusedForward = medianSeconds(() => tf.tidy(() => void model.predict(x).dataSync()), 11);
    const optimizer = tf.train.sgd(0.01);
    const fusedStep = medianSeconds(() => {
      const cost = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), model.predict(x) as tf.Tensor2D),
        true,
        model.parameters.map((p) => p.variable),
      );
      cost?.dataSync();
      cost?.dispose();
    }, 5);
    const plan = unfusedPlan(model);
    const unfusedForward = medianSeconds(() => tf.tidy(() => void plan.forward(x).dataSync()), 1);
    const unfusedStep = medianSeconds(() => {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), plan.forward(x)), true, plan.variables);
      cost?.dataSync();
      cost?.dispose();
    }, 1);
    const live = model.liveConnections();
    const useful = (2 * BATCH * live) / fusedForward / 1e9;
    lines.push(
      row([
        name,
        live,
        `${model.execution.length} / ${model.spec.kernels.length} / ${model.blocks.length}`,
        fusedForward * 1000,
        unfusedForward * 1000,
        `${(unfusedForward / fusedForward).toFixed(1)}×`,
        fusedStep * 1000,
        unfusedStep * 1000,
        `${(unfusedStep / fusedStep).toFixed(1)}×`,
        useful,
        `${((100 * useful) / peak).toFixed(2)}%`,
      ]),
    );
    console.error(`fusion: ${lines.at(-1)}`);
    tf.dispose([x, y, ...plan.variables]);
    optimizer.dispose();
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
