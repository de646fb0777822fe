/** `dsc train` of a small conv network on the embedded digits and of an LSTM on JSON sequences, both with `grow rigl(…)` over every weight. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { createRandom } from "../../runtime/random.js";
import { capture } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "dsc-grow-"));
const SOURCE = `network ConvGrow {
  input [1, 28, 28]
  features [conv(6, kernel=5, stride=3), conv(8, kernel=3)]
  output 10
  grow rigl(sparsity=0.6, every=25, drop=0.3, stop=250, seed=1)
}
network LstmGrow {
  input [6, 1]
  recurrent lstm(hidden=16)
  output 2
  grow rigl(sparsity=0.5, every=10, drop=0.3, stop=200)
}
`;

async function train(network: string, ...args: string[]): Promise<{ accuracy: number; out: string }> {
  const file = join(dir, "grow.ds");
  writeFileSync(file, SOURCE);
  const io = capture();
  const out = join(dir, network);
  const status = await main(["train", file, "--network", network, "--backend", "cpu", "--out", out, "--no-progress", ...args], io);
  expect(io.stderr.filter((l) => !l.startsWith("deepstruct: native"))).toEqual([]);
  expect(status).toBe(0);
  const text = io.stdout.join("\n");
  const accuracy = Number(/held-out accuracy (\d+\.\d+)%/.exec(text)![1]) / 100;
  return { accuracy, out: text };
}

describe("dsc train with grow rigl over conv and recurrent weights", () => {
  it("a conv network on the digits: one epoch well above chance (10%), its live connections constant while RigL moves them", async () => {
    const { accuracy, out } = await train("ConvGrow", "--data", "mnist", "--epochs", "1");
    expect(accuracy).toBeGreaterThan(0.5);
    // The sparse start keeps 40% of every weight (to a unit's rounding), and RigL keeps the count while it moves connections.
    const count = (pattern: RegExp): number => Number(pattern.exec(out)![1]!.replace(/,/g, ""));
    const start = count(/seed 0, ([\d,]+) live connections/);
    expect(count(/epoch 1\/1 .* live ([\d,]+) /)).toBe(start);
    expect(count(/sparsity (\d+\.\d+)%\)/)).toBeCloseTo(60, 1);
    expect(count(/([\d,]+) dropped and regrown/)).toBeGreaterThan(0);
  }, 300_000);

  it("an LSTM on sequences whose class is the sign of their first step: three epochs well above chance (50%)", async () => {
    const random = createRandom(3);
    const sequences = Array.from({ length: 600 }, () => Array.from({ length: 6 }, () => Math.round(random.uniform(-1, 1) * 100) / 100));
    const data = join(dir, "first-sign.json");
    writeFileSync(data, JSON.stringify({ sequences, labels: sequences.map((s) => (s[0]! > 0 ? 1 : 0)) }));
    const { accuracy, out } = await train("LstmGrow", "--data", data, "--epochs", "3", "--lr", "0.01");
    expect(accuracy).toBeGreaterThan(0.75);
    expect(out).toMatch(/[\d,]+ dropped and regrown/);
  }, 300_000);
});
