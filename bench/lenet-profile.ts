/**
 * LeNet-300-100 kernel by kernel: `npx tsx bench/lenet-profile.ts [global|layer|none] [step|forward|fit]`.
 * The model of `npm run bench lenet` (95% pruned by global or per-layer magnitude, or
 * dense), one Adam step (or forward pass) at batch 256 on one BLAS thread, with every
 * WASM kernel timed (bench/kernel-profile.ts) over 60 runs after 30 warm-up runs.
 * `step` is the benchmark's (optimizer.minimize on the loss); `fit` is the step `fit`
 * takes (training/step.ts's trainStep: training mode, the loss and the batch's
 * correct predictions, on class indices as `fit` hands them).
 */
import { createNetwork, createOptimizer, prune, tf } from "../runtime/index.js";
import { setNativeThreads, useNativeGraph } from "../runtime/kernels/native/index.js";
import { loss } from "../runtime/training/losses.js";
import { trainStep } from "../runtime/training/step.js";
import { analyze, networkSpec } from "../src/index.js";
import { printKernelProfile, profileKernels } from "./kernel-profile.js";

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
const settings = { lossName: "crossEntropy", l2: 0, weightDecay: 0, clipNorm: undefined, clipValue: undefined, weights: undefined } as const;
const fitStep = (): void => void trainStep(model, optimizer, variables, { x, y: labels }, settings, 0.001);
const runs: Record<string, () => void> = { step, forward, fit: fitStep };
const run = runs[mode];
if (run === undefined) throw new Error(`lenet-profile: unknown mode '${mode}'; modes are ${Object.keys(runs).join(", ")}`);
for (let i = 0; i < WARM_UP; i++) run();

const profile = profileKernels(run, RUNS);
printKernelProfile(`${scope} ${mode}, execution ${model.execution.map((s) => `${s.kind}(${s.layers.join(", ")})`).join(", ")}`, mode === "fit" ? "fit step" : mode, profile);
if (process.env.SEQUENCE === "1") console.log(profile.calls.map(({ name, us }) => `${name} ${us}`).join("\n"));
