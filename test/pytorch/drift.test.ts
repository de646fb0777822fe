/**
 * Why a heavily pruned cell network drifts from the runtime (docs/pytorch.md,
 * "Drift: max-pool near-ties"): test/pytorch/fixtures/synflow_conv.ds's
 * BareCellSynflow at target 0.85 instead of 0.75, trained as pruning.test.ts
 * trains it (5 epochs of 3 SGD steps, synflow pruning after every epoch), in
 * the runtime and in PyTorch in float32 and in float64, compared after every
 * step. Until then all three stay within float32 rounding of each other, so
 * nothing is computed differently (masks, their timing, batch norm, pruned
 * channels), and afterwards the runtime is within rounding of one of the two
 * (which one depends on its own float32 rounding of the tie); PyTorch's
 * float32 run follows float64 until a step
 * starts from weights where a max-pool window's two largest entries are within
 * rounding of each other and float32 and float64 route the gradient to
 * different entries: then, and not gradually, it jumps by the learning rate
 * times the difference of the two routed gradients.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { saveWeights } from "../../runtime/files.js";
import { createOptimizer, type Model } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { pruningHooks } from "../../runtime/pruning/schedule.js";
import { trainStep } from "../../runtime/training/step.js";
import { compileExample, effectiveDifference, fixedBatch, hasTorch, maskChanges, randomModel, runPython, SCRIPTS, writeJobFiles } from "./support.js";

const EPOCHS = 5;
const STEPS = 3;
const RATE = 0.05;
/**
 * float32 rounding along a path without a tie tipped: the runtime against PyTorch's float64 run grew from
 * 1.2e-7 after the first step to 7.2e-7 after the fifteenth (the figures in docs/pytorch.md); 2e-6 leaves room.
 */
const ROUNDING = 2e-6;

describe.skipIf(!hasTorch)("drift of a heavily pruned cell network: rounding tips a max-pool tie", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("BareCellSynflow at target 0.85: the three runs agree until a max-pool tie tips, and float32 jumps there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-drift-"));
    dirs.push(dir);
    const source = await readFile("test/pytorch/fixtures/synflow_conv.ds", "utf8");
    const pruned = source.replace("iterative(percent=25, every=1, target=0.75,", "iterative(percent=25, every=1, target=0.85,");
    expect(pruned).not.toBe(source);
    await writeFile(join(dir, "synflow_conv85.ds"), pruned);
    const { module, specs } = await compileExample(join(dir, "synflow_conv85.ds"), dir);
    // pruning.test.ts's model and batch for the fourth network of the file: seeds 21 + 3 and 5 + 3.
    const spec = specs.find((s) => s.name === "BareCellSynflow")!;
    const model = await randomModel(spec, 24);
    const batch = fixedBatch(model, 32, 8);
    const files = await writeJobFiles(model, batch, dir);
    await runtimeSteps(model, batch, dir);
    model.dispose();

    const job = join(dir, "job.json");
    await writeFile(job, JSON.stringify({ module, run: files.run, x: files.x, y: files.y, out: dir, epochs: EPOCHS, steps: STEPS, learningRate: RATE }));
    const printed = runPython([join(SCRIPTS, "drift.py"), job]);
    const apart = printed
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => (JSON.parse(line) as { poolChoicesApart: number }).poolChoicesApart);
    expect(apart).toHaveLength(EPOCHS * STEPS);

    const rows: string[] = [];
    const tipped = apart.findIndex((n) => n > 0) + 1;
    for (let step = 1; step <= EPOCHS * STEPS; step++) {
      const [ours, f32, f64] = await Promise.all(["runtime", "float32", "float64"].map((k) => loadModel(join(dir, k, `step-${step}`), { backend: "cpu" })));
      const [toDouble, f32ToDouble, toSingle] = [await effectiveDifference(ours!, f64!), await effectiveDifference(f32!, f64!), await effectiveDifference(ours!, f32!)];
      rows.push(
        `step ${step}: runtime-f64 ${toDouble.toExponential(1)}, f32-f64 ${f32ToDouble.toExponential(1)}, runtime-f32 ${toSingle.toExponential(1)}, pool choices apart ${apart[step - 1]}`,
      );
      // The same connections pruned at the same moments on all three.
      expect(await maskChanges(ours!, f64!), `masks after step ${step}`).toBe(0);
      expect(await maskChanges(f32!, f64!), `masks after step ${step}`).toBe(0);
      // Until a max-pool tie tips, nothing but float32 rounding between any two of them.
      if (step < tipped) {
        expect(toDouble, `runtime against float64 after step ${step}`).toBeLessThan(ROUNDING);
        expect(f32ToDouble, `float32 against float64 after step ${step}`).toBeLessThan(ROUNDING);
      } else {
        // From then on the runtime (float32 too) is on one of the two routings, within rounding: which one is rounding's luck.
        expect(Math.min(toDouble, toSingle), `runtime against float64 or float32 after step ${step}`).toBeLessThan(ROUNDING);
      }
      if (step === EPOCHS * STEPS) expect(f32ToDouble, "the drift this test explains is there").toBeGreaterThan(2 * ROUNDING);
      for (const m of [ours, f32, f64]) m!.dispose();
    }
    console.log(rows.join("\n"));
    // The jump comes with the tie, at the step whose forward pass routed a window differently.
    expect(tipped, "a step where float32 and float64 route a max-pool window differently").toBeGreaterThan(0);
    const jumped = rows.findIndex((row) => Number(/f32-f64 ([0-9.e+-]+)/.exec(row)![1]) >= ROUNDING) + 1;
    expect(jumped).toBe(tipped);
  }, 300_000);
});

/** pruning.test.ts's trained run in the runtime, its run folder written after every step. */
async function runtimeSteps(model: Model, batch: ReturnType<typeof fixedBatch>, dir: string): Promise<void> {
  const data = { x: tf.tensor(batch.x, [32, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") };
  const hooks = pruningHooks(model, model.spec.pruning ?? []);
  const settings = { l2: 0, weightDecay: 0, clipNorm: undefined, clipValue: undefined, weights: undefined, lossName: "crossEntropy" as const };
  hooks.trainBegin();
  let step = 0;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    hooks.epochBegin(epoch);
    for (let s = 0; s < STEPS; s++) {
      const optimizer = createOptimizer({ kind: "sgd", learningRate: RATE, momentum: 0 });
      trainStep(
        model,
        optimizer,
        model.parameters.map((p) => p.variable),
        data,
        settings,
        RATE,
      );
      optimizer.dispose();
      hooks.batchEnd();
      await saveWeights(model, join(dir, "runtime", `step-${++step}`));
    }
    hooks.epochEnd();
  }
  tf.dispose([data.x, data.y]);
}
