/**
 * The generated `train` entry point under torchrun: two processes with DDP
 * on gloo over loopback, on the same global batches, end with the weights a
 * single process ends with (batch norms' statistics too: they are the
 * global batch's); masked weights stay exactly 0; the run folder
 * the first process writes loads into the TypeScript runtime.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../runtime/files.js";
import {
  entries,
  compileExample,
  fixedBatch,
  hasTorchrun,
  liveEntries,
  maskChanges,
  maskedNonZero,
  parameterDifference,
  randomModel,
  runPython,
  runTorchrun,
  writeJobFiles,
  zeroGradientBiases,
} from "./support.js";

describe.skipIf(!hasTorchrun)("torchrun --nproc_per_node 2 THIS.py train (DDP, gloo)", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  // Distributed prunes on a schedule (after step 4 and after every epoch); SetErk and RigLSome drop and
  // regrow connections every 2 and 3 steps (test/pytorch/fixtures).
  it.each([
    // SmallWorld under SGD only: under Adam, one process on one thread ends 1.1e-5 (warm fork) to 1.7e-5 (fresh
    // interpreter) from two processes after 12 steps, and 1.3e-6 on two threads, whose intra-op sum over the batch
    // splits it in halves as the two processes do: the batch sum's rounding, which Adam's first steps scale up to
    // ~lr where a gradient is rounding-sized. SGD keeps it at rounding (6e-8); Adam is checked on the networks below.
    { optimizer: "sgd", file: "examples/small_world.ds", network: "SmallWorld" },
    { optimizer: "adam", file: "test/pytorch/fixtures/schedules.ds", network: "Distributed" },
    { optimizer: "adam", file: "test/pytorch/fixtures/growth.ds", network: "SetErk" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/growth.ds", network: "RigLSome" },
    // Batch norm under DDP normalises by the global batch's statistics (all-reduced), so two processes end where one
    // does, running statistics included; per-process statistics (DDP's default) would not.
    // Adam too: the biases of convs a batch norm follows, whose gradient is rounding noise (support.ts zeroGradientBiases)
    // that Adam would scale to ±lr a step, differently on each process, are held still by the generated module.
    { optimizer: "sgd", file: "examples/conv.ds", network: "SmallCnn" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/features.ds", network: "Features" },
    { optimizer: "adam", file: "examples/conv.ds", network: "SmallCnn" },
    { optimizer: "adam", file: "test/pytorch/fixtures/features.ds", network: "Features" },
    // Rewinding to the start after epoch 2's pruning; synflow's saliencies after step 2 and every second epoch.
    { optimizer: "sgd", file: "test/pytorch/fixtures/rewind.ds", network: "RewindInit" },
    { optimizer: "adam", file: "test/pytorch/fixtures/rewind.ds", network: "Synflow" },
    // Recurrent stacks: the masked cells' weights are parameters like any other, their masks buffers every process reads.
    { optimizer: "adam", file: "test/pytorch/fixtures/recurrent.ds", network: "LstmAll" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/recurrent.ds", network: "GruAll" },
    // Cell networks: every cell's and the head's batch norms on the global batch, the maps concatenated and padded alike.
    { optimizer: "adam", file: "test/pytorch/fixtures/cell_networks.ds", network: "Stemmed" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/cell_networks.ds", network: "Bare" },
    // Pruning schedules over convs (by layer; random over a named conv and dense layer), cell convs and recurrent weights:
    // every process takes the first's masks, conv and recurrent ones too, and the pruned weights stay exactly 0.
    { optimizer: "adam", file: "test/pytorch/fixtures/prune_weights.ds", network: "ConvPruned" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/prune_weights.ds", network: "CellPruned" },
    { optimizer: "adam", file: "test/pytorch/fixtures/prune_weights.ds", network: "LstmPruned" },
    // Whole channels, kernels and neurons (units.ts), of convs, dense and recurrent layers.
    { optimizer: "adam", file: "test/pytorch/fixtures/prune_units.ds", network: "ConvUnits" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/prune_units.ds", network: "LstmUnits" },
    // Whole gates of recurrent layers and whole layers (units.ts, order 2).
    { optimizer: "sgd", file: "test/pytorch/fixtures/prune_gates_layers.ds", network: "LstmGates" },
    { optimizer: "adam", file: "test/pytorch/fixtures/prune_gates_layers.ds", network: "ConvLayers" },
    // SET and RigL over convs (RigL's gradients of every entry all-reduced) and recurrent weights.
    { optimizer: "sgd", file: "test/pytorch/fixtures/growth_weights.ds", network: "ConvSet" },
    // CellRigL under SGD: RigL leaves head.conv's output channel 1 one live 1×1 weight, which the head's batch norm
    // makes scale-invariant (its true gradient is ~0, through epsilon only), so autograd gives it rounding noise
    // (1e-7 to 1e-8, different on 1 and 2 processes) that Adam turns into steps of about lr (2.1e-5 apart after 6).
    { optimizer: "sgd", file: "test/pytorch/fixtures/growth_weights.ds", network: "CellRigL" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/growth_weights.ds", network: "LstmRigL" },
    // Synflow through a recurrent stack (linearised), every process taking the first's masks.
    { optimizer: "adam", file: "test/pytorch/fixtures/synflow_recurrent.ds", network: "LstmSynflow" },
    // Synflow through convs, batch norm, max pooling and cells.
    { optimizer: "adam", file: "test/pytorch/fixtures/synflow_conv.ds", network: "ConvMaxSynflow" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/synflow_conv.ds", network: "CellSynflow" },
    // Learnable masks over convs and recurrent weights: their logits are parameters DDP averages like the others.
    { optimizer: "adam", file: "test/pytorch/fixtures/learnable_weights.ds", network: "LearnedConvs" },
    { optimizer: "sgd", file: "test/pytorch/fixtures/learnable_weights.ds", network: "LearnedLstm" },
  ])(
    "ends with a single process's weights and masks ($optimizer, $network, 2 epochs of 6 global batches)",
    async ({ optimizer, file, network }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-ddp-"));
      dirs.push(dir);
      const { module, specs } = await compileExample(file, dir);
      const start = await randomModel(
        specs.find((spec) => spec.name === network)!,
        5,
      );
      const files = await writeJobFiles(start, fixedBatch(start, 96, 3), dir);
      const args = (out: string): string[] => [
        module,
        "train",
        "--run",
        files.run,
        "--x",
        files.x,
        "--y",
        files.y,
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--optimizer",
        optimizer,
        "--seed",
        "4",
        "--out",
        out,
      ];
      runPython([...args(join(dir, "single"))]);
      const distributed = await runTorchrun(2, args(join(dir, "ddp")), join(dir, "logs"));
      expect(distributed).toContain('"epoch": 2');
      expect(distributed).toContain('"processes": 2');
      const [single, ddp] = [await loadModel(join(dir, "single"), { backend: "cpu" }), await loadModel(join(dir, "ddp"), { backend: "cpu" })];
      const difference = await parameterDifference(single, ddp);
      console.log(`${optimizer}: 2 processes vs 1, max abs difference ${difference.toExponential(1)}`);
      expect(difference).toBeLessThan(1e-5);
      // The weights moved, so the comparison is not of two copies of the start.
      expect(await parameterDifference(start, ddp)).toBeGreaterThan(1e-3);
      // A connection its mask logits switch off keeps its weight (as in the runtime): only static masks promise zeros.
      if (start.spec.learnable === undefined) expect(await maskedNonZero(ddp)).toBe(0);
      else expect(await maskedNonZero(ddp)).toBe(await maskedNonZero(single));
      const [before, after] = [await entries(start), await entries(ddp)];
      for (const name of zeroGradientBiases(start)) expect(Buffer.from(after.get(name)!.buffer).equals(Buffer.from(before.get(name)!.buffer)), `${name} held still`).toBe(true);
      const pruned = (await liveEntries(start)) - (await liveEntries(ddp));
      console.log(`${network}: ${await liveEntries(start)} live mask entries at the start (dense, conv, recurrent), ${await liveEntries(ddp)} after`);
      if (start.spec.pruning !== undefined) expect(pruned).toBeGreaterThan(0);
      // Learned masks switch entries off (and on) as their logits move; otherwise nothing prunes without a schedule.
      else if (start.spec.learnable === undefined) expect(pruned).toBe(0);
      if (start.spec.growth !== undefined) expect(await maskChanges(start, ddp), "connections moved").toBeGreaterThan(0);
      for (const model of [start, single, ddp]) model.dispose();
    },
    300_000,
  );
});
