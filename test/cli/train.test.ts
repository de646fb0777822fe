import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { TrainingReport } from "../../src/cli/train.js";
import { createRandom } from "../../runtime/random.js";
import { capture } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "dsc-train-"));
const network = join(dir, "xor.ds");
writeFileSync(network, "network Quadrants { input 2  dense 12  output 2 }\nnetwork Other { input 3 output 2 }\n");

/** Points in [-1, 1]²; class 1 when both coordinates share a sign (learnable by a small MLP). */
function quadrantsCsv(samples: number): string {
  const random = createRandom(4);
  const rows = ["x,y,label", "# a comment line"];
  for (let i = 0; i < samples; i++) {
    const x = random.uniform(-1, 1);
    const y = random.uniform(-1, 1);
    rows.push(`${x.toFixed(4)},${y.toFixed(4)},${x * y > 0 ? 1 : 0}`);
  }
  return rows.join("\n");
}

describe("dsc train", () => {
  const data = join(dir, "quadrants.csv");
  writeFileSync(data, quadrantsCsv(500));

  it("trains, prints a line per epoch and a summary, and writes the weights and report.json", async () => {
    const out = join(dir, "run");
    const io = capture();
    const status = await main(["train", network, "--network", "Quadrants", "--data", data, "--epochs", "25", "--seed", "3", "--lr", "0.02", "--backend", "cpu", "--out", out], io);
    expect(io.stderr).toEqual([]);
    expect(status).toBe(0);
    const epochLines = io.stdout.filter((line) => line.startsWith("epoch "));
    expect(epochLines).toHaveLength(25);
    expect(epochLines[0]).toMatch(/^epoch 1\/25 {2}loss \d\.\d{4} {2}accuracy \d+\.\d\d% {2}held-out \d+\.\d\d% {2}live 48 \(sparsity 0\.00%\) {2}\d+\.\d s$/);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as TrainingReport;
    expect(report).toMatchObject({ network: "Quadrants", epochs: 25, seed: 3, trainSamples: 400, testSamples: 100, liveConnections: 48, totalConnections: 48, backend: "cpu" });
    expect(report.testAccuracy).toBeGreaterThan(0.85);
    expect(report.testAccuracy).toBeLessThanOrEqual(1);
    expect(report.trainSeconds).toBeGreaterThan(0);
    expect(report.history).toHaveLength(25);
    const weightsFile = (JSON.parse(readFileSync(join(out, "model.json"), "utf8")) as { weightsManifest: { paths: string[] }[] }).weightsManifest[0]!.paths[0]!;
    expect(weightsFile).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
    expect(existsSync(join(out, weightsFile))).toBe(true);
    expect(io.stdout.join("\n")).toContain(`Quadrants: held-out accuracy ${(report.testAccuracy! * 100).toFixed(2)}%`);
  });

  it("reports a bad data file at its line and exits 1", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "0.1,0.2,1\n0.3,abc,0\n");
    const io = capture();
    expect(await main(["train", network, "--network", "Quadrants", "--data", bad, "--epochs", "1", "--backend", "cpu"], io)).toBe(1);
    expect(io.stderr.join("\n")).toContain(`${bad}:2:5`);
    expect(io.stderr.join("\n")).toContain("'abc' is not a number");
  });

  it("needs --network when the file declares several, and names them", async () => {
    const io = capture();
    expect(await main(["train", network, "--data", data, "--epochs", "1"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("declares several networks ('Quadrants', 'Other'); choose one with --network");
  });

  it("refuses a wrong option value with exit status 2", async () => {
    const io = capture();
    expect(await main(["train", network, "--network", "Quadrants", "--data", data, "--epochs", "two"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("--epochs must be an integer ≥ 1, got 'two'");
  });

  it("refuses MNIST for a network whose input is not 784", async () => {
    const io = capture();
    expect(await main(["train", network, "--network", "Quadrants", "--data", "mnist", "--epochs", "1", "--backend", "cpu"], io)).toBe(1);
    expect(io.stderr.join("\n")).toMatch(/784/);
  });
});
