/** dsc train's run folder: checkpoints, resuming, refusing to overwrite, reports and pictures; dsc evaluate on a run. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { TrainingReport } from "../../src/cli/train.js";
import { createRandom } from "../../runtime/random.js";
import { capture } from "../support/cli.js";
import { loadModel } from "../../runtime/files.js";
import { tf } from "../../runtime/index.js";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "dsc-train-run-"));
const network = join(dir, "nets.ds");
writeFileSync(network, "network Quadrants { input 2  dense 12  output 2 }\nnetwork Curve { input 2  dense 8  output 1  activation tanh }\n");

/** 300 points in [-1, 1]²: class 1 when both coordinates share a sign, and a smooth target for regression. */
function writeData(): { classes: string; targets: string } {
  const random = createRandom(11);
  const classes = ["x,y,label"];
  const targets = ["x,y,z"];
  for (let i = 0; i < 300; i++) {
    const x = random.uniform(-1, 1);
    const y = random.uniform(-1, 1);
    classes.push(`${x.toFixed(4)},${y.toFixed(4)},${x * y > 0 ? 1 : 0}`);
    targets.push(`${x.toFixed(4)},${y.toFixed(4)},${(x * x - y).toFixed(4)}`);
  }
  writeFileSync(join(dir, "classes.csv"), classes.join("\n"));
  writeFileSync(join(dir, "targets.csv"), targets.join("\n"));
  return { classes: join(dir, "classes.csv"), targets: join(dir, "targets.csv") };
}
const data = writeData();

const report = (run: string): TrainingReport => JSON.parse(readFileSync(join(run, "report.json"), "utf8")) as TrainingReport;
const weightsSha = (run: string): string => (JSON.parse(readFileSync(join(run, "model.json"), "utf8")) as { weightsSha256: string }).weightsSha256;
const train = async (...args: string[]): Promise<{ status: number; out: string; err: string }> => {
  const io = capture();
  const status = await main(["train", ...args], io);
  return { status, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
};
const quadrants = (out: string, epochs: number, ...more: string[]) =>
  train(network, "--network", "Quadrants", "--data", data.classes, "--epochs", String(epochs), "--backend", "cpu", "--seed", "5", "--out", out, ...more);

describe("dsc train's run folder", () => {
  it("resumed after 2 of 5 epochs, ends with the same weights bit for bit as an uninterrupted run", async () => {
    const settings = ["--lr-schedule", "step:2:0.5", "--weight-decay", "0.01", "--clip-norm", "5", "--optimizer", "adam", "--lr", "0.01"];
    const whole = join(dir, "whole");
    expect((await quadrants(whole, 5, ...settings)).status).toBe(0);
    const parted = join(dir, "parted");
    expect((await quadrants(parted, 2, ...settings)).status).toBe(0);
    expect(report(parted).epochs).toBe(2);
    const resumed = await train("--resume", parted, "--epochs", "5");
    expect(resumed.err).toBe("");
    expect(resumed.status).toBe(0);
    expect(resumed.out).toContain("resuming after epoch 2");
    expect(resumed.out.split("\n").filter((l) => l.startsWith("epoch "))).toHaveLength(3);
    expect(weightsSha(parted)).toBe(weightsSha(whole));
    expect(report(parted).history.map((e) => e.loss)).toEqual(report(whole).history.map((e) => e.loss));
    expect(report(parted).history.map((e) => e.learningRate)).toEqual([0.01, 0.01, 0.005, 0.005, 0.0025]);
    expect(report(parted).settings).toEqual(report(whole).settings);
    // Absolute, so a run resumes (and is evaluated) from any working directory.
    expect(report(parted).settings.file).toBe(resolve(network));
    expect(report(parted).settings.data).toBe(resolve(data.classes));
  });

  it("resumes with the run's own settings only: a changed setting is refused", async () => {
    const run = join(dir, "settings");
    expect((await quadrants(run, 1)).status).toBe(0);
    const changed = await train("--resume", run, "--epochs", "3", "--lr", "0.5");
    expect(changed.status).toBe(2);
    expect(changed.err).toContain("--resume continues a run with its own settings; --lr cannot be changed (only --epochs)");
    expect((await train("--resume", join(dir, "nowhere"))).err).toContain("no such folder");
  });

  it("will not overwrite another run without --force, and says so before training", async () => {
    const run = join(dir, "taken");
    expect((await quadrants(run, 1)).status).toBe(0);
    const before = weightsSha(run);
    const refused = await quadrants(run, 1, "--seed", "9");
    expect(refused.status).toBe(2);
    expect(refused.out).toBe("");
    expect(refused.err).toContain(`--out ${run} already holds a run; pass --force to replace it`);
    expect(weightsSha(run)).toBe(before);
    const forced = await train(network, "--network", "Quadrants", "--data", data.classes, "--epochs", "1", "--backend", "cpu", "--seed", "9", "--out", run, "--force");
    expect(forced.status).toBe(0);
    expect(weightsSha(run)).not.toBe(before);
    expect(report(run).seed).toBe(9);
  });

  it("writes report.json with the learning rate used and history.svg; regression runs print the held-out MSE", async () => {
    const run = join(dir, "curve");
    const result = await train(network, "--network", "Curve", "--data", data.targets, "--epochs", "3", "--backend", "cpu", "--out", run);
    expect(result.status).toBe(0);
    const r = report(run);
    expect(r.learningRate).toBe(0.001);
    expect(r.testAccuracy).toBeNull();
    const lines = result.out.split("\n").filter((l) => l.startsWith("epoch "));
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) => expect(line).toContain(`held-out mse ${r.history[i]!.valLoss!.toFixed(4)}`));
    expect(result.out).toContain(`Curve: held-out mse ${r.testLoss.toFixed(4)} on 60 samples`);
    const svg = readFileSync(join(run, "history.svg"), "utf8");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain("loss (mse)");
  });

  it("dsc evaluate reports a saved run on its held-out part as training did", async () => {
    const run = join(dir, "evaluated");
    expect((await quadrants(run, 4, "--lr", "0.02")).status).toBe(0);
    const io = capture();
    expect(await main(["evaluate", run, "--data", data.classes, "--backend", "cpu"], io)).toBe(0);
    const r = report(run);
    expect(io.stdout.join("\n")).toContain(`held-out:  accuracy ${(r.testAccuracy! * 100).toFixed(2)}%  loss ${r.testLoss.toFixed(4)}  (60 samples)`);
    expect(io.stdout.join("\n")).toMatch(/training: {2}accuracy \d+\.\d\d% {2}loss \d\.\d{4} {2}\(240 samples\)/);
    expect(existsSync(join(run, "history.svg"))).toBe(true);
  });

  it("dsc predict writes each sample's class and probabilities in the file's order, with or without labels in the file", async () => {
    const run = join(dir, "predicting");
    expect((await quadrants(run, 4, "--lr", "0.02")).status).toBe(0);
    const labelled = join(dir, "predict-labelled.csv");
    const bare = join(dir, "predict-bare.csv");
    writeFileSync(labelled, "x,y,label\n0.5,0.5,1\n-0.5,0.5,0\n0.25,-0.75,0\n");
    writeFileSync(bare, "0.5;0.5\n-0.5;0.5\n0.25;-0.75\n");
    const out = join(dir, "predictions.csv");
    const io = capture();
    expect(await main(["predict", run, "--data", labelled, "-o", out, "--backend", "cpu"], io)).toBe(0);
    expect(io.stdout.join("\n")).toContain(`3 predictions written to ${out}`);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("class,p0,p1");
    const model = await loadModel(run, { backend: "cpu" });
    const logits = model.predict(tf.tensor2d([0.5, 0.5, -0.5, 0.5, 0.25, -0.75], [3, 2])).arraySync() as number[][];
    lines.slice(1).forEach((line, r) => {
      const [cls, p0, p1] = line.split(",").map(Number);
      const [a, b] = logits[r]!;
      expect(cls).toBe(a! > b! ? 0 : 1);
      expect(p1).toBeCloseTo(1 / (1 + Math.exp(a! - b!)), 5);
      expect(p0! + p1!).toBeCloseTo(1, 5);
    });
    model.dispose();
    const fromBare = capture();
    expect(await main(["predict", run, "--data", bare, "--backend", "cpu"], fromBare)).toBe(0);
    expect(fromBare.stdout.join("\n")).toBe(lines.join("\n"));
    const wrong = join(dir, "predict-wrong.csv");
    writeFileSync(wrong, "0.5,0.5\n0.1,abc\n");
    const bad = capture();
    expect(await main(["predict", run, "--data", wrong, "--backend", "cpu"], bad)).toBe(1);
    expect(bad.stderr.join("\n")).toContain(`${wrong}:2:5: error: 'abc' is not a number`);
  });

  it("trains on a data declaration of the file: the landscape's held-out MSE falls below 1.0 within 100 epochs", async () => {
    const run = join(dir, "landscape");
    const result = await train(join(ROOT, "examples", "landscape.ds"), "--data", "landscape", "--epochs", "100", "--backend", "cpu", "--out", run);
    expect(result.status).toBe(0);
    const history = report(run).history;
    expect(Math.min(...history.map((e) => e.valLoss!))).toBeLessThan(1);
    // The output starts at the targets' mean (about 29.5), not at 0: the first epoch is already far below 29.5².
    expect(history[0]!.valLoss!).toBeLessThan(50);
    expect(result.out).toContain("data 'landscape' (samples of");
    const unknown = await train(join(ROOT, "examples", "landscape.ds"), "--data", "landscap", "--epochs", "1", "--backend", "cpu", "--out", join(dir, "none"));
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain("its data declarations are 'landscape'");
  });

  it("stops at a loss that is not a number, naming the epoch and step, and keeps the last good epoch", async () => {
    const run = join(dir, "exploding");
    // Epoch 1 at 0.001, then 10¹² times that: the loss overflows in epoch 2 or soon after.
    const result = await quadrants(run, 6, "--optimizer", "sgd", "--lr", "0.001", "--lr-schedule", "step:1:1e12");
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/dsc: Quadrants\.fit: the loss became (NaN|Infinity|-Infinity) at epoch (\d), step \d+ of 8; .*; .* keeps epoch (\d)/);
    const [, failed, kept] = /at epoch (\d).* keeps epoch (\d)/.exec(result.err)!;
    expect(Number(kept)).toBe(Number(failed) - 1);
    expect(report(run).epochs).toBe(Number(kept));
    expect(report(run).history.every((e) => Number.isFinite(e.loss))).toBe(true);
  });

  it("with --early-stopping and --restore-best, the folder holds the best epoch's weights and the report scores them", async () => {
    const run = join(dir, "early");
    const result = await quadrants(run, 60, "--lr", "0.05", "--early-stopping", "2", "--restore-best");
    expect(result.err).toBe("");
    expect(result.status).toBe(0);
    const r = report(run);
    expect(r.stopReason).toBe("earlyStopping");
    expect(r.epochs).toBeLessThan(60);
    const best = Math.min(...r.history.map((e) => e.valLoss!));
    expect(r.testLoss).toBeCloseTo(best, 6);
    expect(r.testLoss).toBeLessThan(r.history.at(-1)!.valLoss!);
  });
});
