/**
 * The cell network of examples/cells.ds with half of every conv's output
 * channels pruned by `unit=channel` (each layer on its own, so no conv
 * loses all of them) against the unpruned network: forward and training
 * step on WASM, least CPU time of interleaved runs. The pruned network
 * computes only its live channels, in the stem, the cells and the head.
 * Also the kernels one pass runs (tf.profile, after the timed runs): on a
 * shared machine the firmer figure beside the times.
 */
import { readFileSync } from "node:fs";
import { createNetwork, prune, tf, type Model } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedMinimum, row } from "./timing.js";

const BATCH = 64;

async function cellModels(): Promise<{ unpruned: Model; pruned: Model; live: number; channels: number }> {
  const source = readFileSync(new URL("../examples/cells.ds", import.meta.url), "utf8");
  const spec = networkSpec(analyze(source).plans![0]!);
  const [unpruned, pruned] = [await createNetwork(spec, { backend: "wasm", seed: 0 }), await createNetwork(spec, { backend: "wasm", seed: 0 })] as [Model, Model];
  prune(pruned, { amount: { percent: 50 }, unit: "channel", scope: "layer" });
  const convs = pruned.features.filter((f) => f.weightShape !== undefined);
  const channels = convs.reduce((n, f) => n + f.weightShape![3], 0);
  const live = convs.reduce((n, f) => {
    const cout = f.weightShape![3];
    const alive = new Set<number>();
    pruned.getMask(f.name).forEach((m, k) => m === 1 && alive.add(k % cout));
    return n + alive.size;
  }, 0);
  return { unpruned, pruned, live, channels };
}

export async function benchCellPruning(): Promise<string[]> {
  const { unpruned, pruned, live, channels } = await cellModels();
  const x = tf.randomUniform([BATCH, 1, 28, 28], 0, 1, "float32", 2);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 10),
      "int32",
    ),
    10,
  );
  const forward = (model: Model) => (): void => void tf.tidy(() => model.predict(x).dataSync());
  const step = (model: Model) => (): void => {
    const variables = model.parameters.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x, { training: true })) as tf.Scalar, variables);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const models = [unpruned, pruned];
  const [f0, f1] = interleavedMinimum(models.map(forward), 9) as [number, number];
  const [s0, s1] = interleavedMinimum(models.map(step), 9) as [number, number];
  const kernels = async (run: () => void): Promise<string> => {
    const { kernels: ran } = await tf.profile(run);
    return `${ran.length} kernels, ${ran.filter((k) => k.name === "GatherV2").length} gathers`;
  };
  // A step moves the running statistics, so the first inference pass after it recomputes what it remembered; the next does not.
  const counted: string[][] = [];
  for (const model of models) counted.push([await kernels(step(model)), await kernels(forward(model)), await kernels(forward(model))]);
  const lines = [
    "least CPU time of 9 interleaved runs",
    "",
    row([`examples/cells.ds (batch ${BATCH}, WASM)`, "forward (ms)", "training step (ms)"]),
    row(["---", "---", "---"]),
    row([`unpruned: ${channels} conv output channels`, f0 * 1000, s0 * 1000]),
    row([`unit=channel, 50% per layer: ${live} of ${channels} computed`, f1 * 1000, s1 * 1000]),
    row(["speed-up", `${(f0 / f1).toFixed(2)}×`, `${(s0 / s1).toFixed(2)}×`]),
    "",
    row(["one pass (tf.profile)", "training step", "forward after a step", "forward again"]),
    row(["---", "---", "---", "---"]),
    row(["unpruned", ...counted[0]!]),
    row(["pruned", ...counted[1]!]),
  ];
  models.forEach((m) => m.dispose());
  tf.dispose([x, y]);
  return lines;
}
