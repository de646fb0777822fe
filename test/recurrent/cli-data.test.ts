/** dsc train, evaluate and predict on sequence data: the built-in adding task and JSON sequences of different lengths for a padded network. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "dsc-recurrent-data-"));
const run = async (...args: string[]): Promise<{ status: number; out: string; err: string }> => {
  const io = capture();
  const status = await main(args, io);
  return { status, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
};

describe("dsc with sequence data", () => {
  it("trains on --data adding at the network's length, and refuses a network of another shape", async () => {
    const file = join(dir, "adding.ds");
    writeFileSync(file, "network Add { input [6, 3] recurrent gru(hidden=6, padded=true) output 1 }\nnetwork Wrong { input [6, 1] recurrent gru(hidden=6) output 1 }\n");
    const trained = await run("train", file, "--network", "Add", "--data", "adding", "--epochs", "1", "--backend", "cpu", "--out", join(dir, "add"));
    expect(trained.err).toBe("");
    expect(trained.status).toBe(0);
    expect(trained.out).toContain("Add on adding: 2000 sequences of 6 (value, marker) steps");
    expect(trained.out).toMatch(/held-out mse \d\.\d{4}/);
    const wrong = await run("train", file, "--network", "Wrong", "--data", "adding", "--epochs", "1", "--backend", "cpu", "--out", join(dir, "wrong"));
    expect(wrong.status).toBe(1);
    expect(wrong.err).toContain("adding: error: the adding task needs a recurrent network with input [steps, 2]");
  }, 120_000);

  it("reads JSON sequences of different lengths for a padded network, and predicts one output row per sample", async () => {
    const file = join(dir, "first.ds");
    writeFileSync(file, "network First { input [4, 2] recurrent lstm(hidden=5, padded=true) output 3 }\n");
    const sequences = Array.from({ length: 30 }, (_, i) => Array.from({ length: 1 + (i % 4) }, (_, t) => (i % 3) + t));
    const data = join(dir, "first.json");
    writeFileSync(data, JSON.stringify({ sequences, labels: sequences.map((s) => s[0]) }));
    const out = join(dir, "first");
    const trained = await run("train", file, "--data", data, "--epochs", "2", "--backend", "cpu", "--out", out);
    expect(trained.err).toBe("");
    expect(trained.out).toContain("24 training and 6 held-out samples");
    const predictions = join(dir, "predictions.csv");
    expect((await run("predict", out, "--data", data, "-o", predictions)).status).toBe(0);
    expect(readFileSync(predictions, "utf8").trim().split("\n").length).toBe(31); // a header, then one row per sample
    const tooLong = join(dir, "long.json");
    writeFileSync(tooLong, '{ "sequences": [[1, 2, 3, 4, 5]], "labels": [1] }');
    const refused = await run("train", file, "--data", tooLong, "--epochs", "1", "--backend", "cpu", "--out", join(dir, "long"));
    expect(refused.err).toBe(`${tooLong}:1:17: error: sequences[0] has 5 steps; the network takes 1 to 4`);
  }, 120_000);
});
