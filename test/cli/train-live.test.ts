import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { TrainingReport } from "../../src/cli/train.js";
import { createRandom } from "../../runtime/random.js";
import { capture } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "dsc-train-live-"));

/** 2×2 images, class 1 when the top row is brighter than the bottom. */
function imagesCsv(samples: number): string {
  const random = createRandom(8);
  const rows = ["a,b,c,d,label"];
  for (let i = 0; i < samples; i++) {
    const pixels = Array.from({ length: 4 }, () => random.uniform(0, 1));
    rows.push(`${pixels.map((p) => p.toFixed(3)).join(",")},${pixels[0]! + pixels[1]! > pixels[2]! + pixels[3]! ? 1 : 0}`);
  }
  return rows.join("\n");
}

describe("dsc train's live connections", () => {
  it("count a conv network's conv weights with its dense ones, each kind's share on the first line and every epoch's", async () => {
    const network = join(dir, "conv.ds");
    // conv1: 2×2×1×3 = 12 weights, 3 of them pruned after epoch 1; features [3, 1, 1] → output 2: 6 weights.
    writeFileSync(network, "network C { input [1, 2, 2]  features [conv(3, kernel=2)]  output 2  prune one_shot(percent=25, epoch=1, layers=[conv1]) }\n");
    const data = join(dir, "images.csv");
    writeFileSync(data, imagesCsv(100));
    const out = join(dir, "run");
    const io = capture();
    const status = await main(["train", network, "--data", data, "--epochs", "2", "--seed", "1", "--backend", "cpu", "--out", out], io);
    expect(io.stderr).toEqual([]);
    expect(status).toBe(0);
    expect(io.stdout[0]).toMatch(/, 18 live connections \(conv 12 \+ dense 6\)$/);
    const epochs = io.stdout.filter((line) => line.startsWith("epoch "));
    expect(epochs[0]).toMatch(/ {2}live 15 = conv 9 \+ dense 6 \(sparsity 16\.67%\), 3 pruned {2}/);
    expect(epochs[1]).toMatch(/ {2}live 15 = conv 9 \+ dense 6 \(sparsity 16\.67%\) {2}/);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as TrainingReport;
    expect(report).toMatchObject({ liveConnections: 15, totalConnections: 18 });
    expect(report.history[1]!.liveByKind).toEqual({ conv: 9, dense: 6 });
  });
});
