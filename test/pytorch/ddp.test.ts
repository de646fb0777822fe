/**
 * The generated `train` entry point under torchrun: two processes with DDP
 * on gloo over loopback, on the same global batches, end with the weights a
 * single process ends with; masked weights stay exactly 0; the run folder
 * the first process writes loads into the TypeScript runtime.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../runtime/files.js";
import { compileExample, fixedBatch, hasTorch, maskedNonZero, parameterDifference, PYTHON, randomModel, runPython, writeJobFiles } from "./support.js";

const hasTorchrun = hasTorch && spawnSync("torchrun", ["--help"], { stdio: "ignore" }).status === 0;

/**
 * Debian's torch 1.13 on Python 3.11: torchrun's default `--redirects 0`
 * parses to None (3.11 no longer iterates the zero member of an IntFlag) and
 * it fails before starting a worker; any non-zero setting avoids that, and 2
 * (stderr to a log file and the console) leaves the output as it was.
 */
const TORCHRUN_WORKAROUND = ["--redirects", "2", "--tee", "2"];

describe.skipIf(!hasTorchrun)("torchrun --nproc_per_node 2 THIS.py train (DDP, gloo)", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each(["sgd", "adam"])(
    "ends with a single process's weights (%s, 2 epochs of 6 global batches)",
    async (optimizer) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-ddp-"));
      dirs.push(dir);
      const { module, specs } = await compileExample("examples/small_world.ds", dir);
      const start = await randomModel(specs[0]!, 5);
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
      const distributed = spawnSync("torchrun", ["--standalone", "--nproc_per_node", "2", ...TORCHRUN_WORKAROUND, "--log_dir", join(dir, "logs"), ...args(join(dir, "ddp"))], {
        encoding: "utf8",
        timeout: 240_000,
        env: { ...process.env, GLOO_SOCKET_IFNAME: "lo", OMP_NUM_THREADS: "1", PYTHON },
      });
      expect(distributed.status, distributed.stderr).toBe(0);
      expect(distributed.stdout).toContain('"epoch": 2');
      expect(distributed.stdout).toContain('"processes": 2');
      const [single, ddp] = [await loadModel(join(dir, "single"), { backend: "cpu" }), await loadModel(join(dir, "ddp"), { backend: "cpu" })];
      const difference = await parameterDifference(single, ddp);
      console.log(`${optimizer}: 2 processes vs 1, max abs difference ${difference.toExponential(1)}`);
      expect(difference).toBeLessThan(1e-5);
      // The weights moved, so the comparison is not of two copies of the start.
      expect(await parameterDifference(start, ddp)).toBeGreaterThan(1e-3);
      expect(await maskedNonZero(ddp)).toBe(0);
      for (const model of [start, single, ddp]) model.dispose();
    },
    300_000,
  );
});
