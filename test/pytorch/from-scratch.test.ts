/**
 * The bar run in small (docs/pytorch.md has the full one): digits exported
 * by dsc, a network trained from scratch by the generated module under
 * `torchrun --nproc_per_node 2`, its run folder loaded into the TypeScript
 * runtime, which scores the held-out digits as PyTorch reported them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { subset, tf, toTensors } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import { exportSplit } from "../../src/cli/export.js";
import { mnistSplit } from "../../src/data/mnist.js";
import { compileExample, hasTorchrun, maskedNonZero, runTorchrun } from "./support.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe.skipIf(!hasTorchrun)("from scratch under torchrun, back into the TypeScript runtime", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("small_world, 2 processes, 2 epochs of 640 digits: the runtime's held-out loss and accuracy are PyTorch's", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-scratch-"));
    dirs.push(dir);
    const split = mnistSplit();
    const small = { train: subset(split.train, range(640)), test: subset(split.test, range(400)) };
    await exportSplit("mnist", small, join(dir, "data"));
    const { module } = await compileExample("examples/small_world.ds", dir);
    const args = [module, "train", "--data", join(dir, "data"), "--epochs", "2", "--batch-size", "32", "--seed", "3", "--out", join(dir, "run")];
    const printed = await runTorchrun(2, args, join(dir, "logs"));
    const reports = printed
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { epoch: number; processes: number; heldOutLoss: number; heldOutAccuracy: number });
    expect(reports.map((r) => [r.epoch, r.processes])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    const last = reports[1]!;
    const model = await loadModel(join(dir, "run"), { backend: "cpu" });
    const tensors = toTensors(small.test);
    const ours = model.evaluate(tensors, { loss: "crossEntropy" });
    tf.dispose([tensors.x, tensors.y]);
    console.log(`held-out: PyTorch ${last.heldOutAccuracy} / ${last.heldOutLoss.toFixed(6)}, TypeScript ${ours.accuracy} / ${ours.loss.toFixed(6)}`);
    // Learned, not chance (10%): the weights came from training, not from a constant start.
    expect(last.heldOutAccuracy).toBeGreaterThan(0.6);
    expect(Math.abs(ours.accuracy! - last.heldOutAccuracy)).toBeLessThanOrEqual(1 / 400);
    expect(Math.abs(ours.loss - last.heldOutLoss)).toBeLessThan(1e-4);
    expect(await maskedNonZero(model)).toBe(0);
    model.dispose();
  }, 300_000);
});
