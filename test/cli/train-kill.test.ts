/**
 * dsc train stopped at random moments — SIGKILL (no clean-up runs at all) and
 * Ctrl-C's SIGINT — always leaves a run folder that loads as one completed
 * epoch, or no folder; never a corrupt one or a mix of two epochs. After
 * Ctrl-C, --resume ends where an uninterrupted run ends, bit for bit.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel, loadTrainingState } from "../../runtime/files.js";
import { main } from "../../src/cli/main.js";
import type { TrainingReport } from "../../src/cli/train.js";
import { createRandom } from "../../runtime/random.js";
import { capture } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(ROOT, "test", "support", "dsc-child.ts");
const dir = mkdtempSync(join(tmpdir(), "dsc-train-kill-"));
const network = join(dir, "net.ds");
writeFileSync(network, "network Quadrants { input 2  dense 16  output 2 }\n");
const data = join(dir, "quadrants.csv");
{
  const random = createRandom(2);
  const rows = ["x,y,label"];
  for (let i = 0; i < 400; i++) {
    const [x, y] = [random.uniform(-1, 1), random.uniform(-1, 1)];
    rows.push(`${x.toFixed(4)},${y.toFixed(4)},${x * y > 0 ? 1 : 0}`);
  }
  writeFileSync(data, rows.join("\n"));
}
const EPOCHS = 60;
const args = (out: string): string[] => ["train", network, "--data", data, "--epochs", String(EPOCHS), "--backend", "cpu", "--seed", "1", "--out", out, "--no-progress"];
const report = (run: string): TrainingReport => JSON.parse(readFileSync(join(run, "report.json"), "utf8")) as TrainingReport;
const weightsSha = (run: string): string => (JSON.parse(readFileSync(join(run, "model.json"), "utf8")) as { weightsSha256: string }).weightsSha256;

interface Ended {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs dsc train in a child and sends `signal` `delay` ms after its first epoch line. */
function stopDuringTraining(out: string, signal: NodeJS.Signals, delay: number): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args(out)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let armed = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!armed && stdout.includes("epoch 1/")) {
        armed = true;
        setTimeout(() => child.kill(signal), delay);
      }
    });
    child.on("error", reject);
    child.on("close", (status, killedBy) => resolve({ status, signal: killedBy, stdout, stderr }));
  });
}

/** The folder holds one whole completed epoch — model, training state and report agree — or is not there. */
async function checkRun(out: string): Promise<number> {
  if (!existsSync(out)) return 0;
  const model = await loadModel(out, { backend: "cpu" });
  model.dispose();
  const state = await loadTrainingState(out);
  const r = report(out);
  expect(r.epochs).toBe(state.epochsCompleted);
  expect(r.history).toEqual(state.history);
  return state.epochsCompleted;
}

describe("dsc train stopped at a random moment", () => {
  it("after Ctrl-C keeps the last completed epoch, marks the report interrupted, and --resume ends as an uninterrupted run", async () => {
    const whole = join(dir, "whole");
    expect(await main(args(whole), capture())).toBe(0);
    const out = join(dir, "interrupted");
    const ended = await stopDuringTraining(out, "SIGINT", 50);
    expect(ended.status).toBe(130);
    expect(ended.stderr).toContain("dsc: interrupted; stopping after this batch and keeping the last completed epoch");
    expect(ended.stderr).toContain(`dsc: continue with: dsc train --resume ${out}`);
    const kept = await checkRun(out);
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(EPOCHS);
    expect(report(out).interrupted).toBe(true);
    expect(ended.stdout).toContain(`interrupted after epoch ${kept}`);
    const resumed = capture();
    expect(await main(["train", "--resume", out, "--no-progress"], resumed)).toBe(0);
    expect(resumed.stdout.filter((l) => l.startsWith("epoch "))).toHaveLength(EPOCHS - kept);
    expect(weightsSha(out)).toBe(weightsSha(whole));
    expect(report(out).interrupted).toBe(false);
  }, 60_000);

  it("leaves a run that loads, or none, in 12 of 12 SIGKILLs and 12 of 12 SIGINTs", async () => {
    const outcomes: { signal: string; epochs: number }[] = [];
    const one = async (i: number): Promise<void> => {
      const signal = i % 2 === 0 ? "SIGKILL" : "SIGINT";
      const out = join(dir, `killed-${i}`);
      // A fixed spread of moments, so the test is the same every time: from before the first checkpoint to many epochs in.
      const ended = await stopDuringTraining(out, signal, (i * 89) % 700);
      if (signal === "SIGKILL") expect(ended.signal).toBe("SIGKILL");
      else expect([0, 130]).toContain(ended.status);
      outcomes.push({ signal, epochs: await checkRun(out) });
    };
    for (let i = 0; i < 24; i += 2) await Promise.all([one(i), one(i + 1)]);
    expect(outcomes).toHaveLength(24);
    // The moments landed on both sides of checkpoints: some runs had none yet, others several.
    const epochs = outcomes.map((o) => o.epochs);
    expect(Math.max(...epochs)).toBeGreaterThan(1);
    expect(new Set(epochs).size).toBeGreaterThan(3);
  }, 300_000);
});
