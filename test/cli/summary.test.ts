import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Model } from "../../runtime/index.js";
import { saveWeights } from "../../runtime/files.js";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";
import { buildModel } from "../support/models.js";

const DENSE = "network D {\n  input [2, 2]\n  dense [3, 2]\n  output 2\n  layer_norm true\n}";
const STRUCTURE = "graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }\nnetwork S {\n  input 3\n  structure d\n  dense 4\n  output 1\n  execution sparse\n}";
const MASKED = "network M {\n  input 6\n  dense [8, 5]\n  output 3\n  mask random(density=0.5, seed=3, layers=[dense1])\n}";
const LEARNABLE = "network L {\n  input 4\n  dense 3\n  output 2\n  mask learnable()\n}";

/** What the model itself reports for a layer: its parameters' sizes by kind and the live connections of the blocks entering it. */
function reported(model: Model, layer: string): { weights: number; rest: number; connections: number; possible: number } {
  const own = model.parameters.filter((p) => p.name.startsWith(`${layer}.`));
  const weights = own.filter((p) => p.name.endsWith(".weight")).reduce((s, p) => s + p.variable.size, 0);
  const rest = own.reduce((s, p) => s + p.variable.size, 0) - weights;
  const entering = model.blocks.filter((b) => b.target === layer);
  return {
    weights,
    rest,
    connections: entering.reduce((s, b) => s + model.liveConnections(b.name), 0),
    possible: entering.reduce((s, b) => s + b.sourceSize * b.targetSize, 0),
  };
}

function expectRowsMatchModel(model: Model): void {
  const { rows, totals } = model.summary();
  expect(rows.map((r) => r.layer)).toEqual(model.layers.map((l) => l.name));
  for (const row of rows) {
    const r = reported(model, row.layer);
    expect(row.parameters.weights).toBe(r.weights);
    expect(row.parameters.biases + row.parameters.norm + row.parameters.maskLogits).toBe(r.rest);
    expect(row.connections).toBe(r.connections);
    expect(row.possibleConnections).toBe(r.possible);
  }
  expect(totals.parameters.total).toBe(model.parameters.reduce((s, p) => s + p.variable.size, 0));
  expect(totals.connections).toBe(model.liveConnections());
  expect(totals.possibleConnections).toBe(model.totalConnections());
  expect(totals.denseKernels + totals.graphKernels).toBe(model.execution.length);
}

describe("model.summary()", () => {
  it("counts a dense network's layers by hand: weights, biases and layer-norm gains and shifts", async () => {
    const model = await buildModel(DENSE);
    try {
      expectRowsMatchModel(model);
      const { rows, totals } = model.summary();
      expect(rows.map((r) => [r.kind, r.shape, r.parameters.total, r.connections, r.sparsity, r.kernel])).toEqual([
        ["input", [2, 2], 0, 0, 0, undefined],
        ["dense 1", [3], 4 * 3 + 3 + 2 * 3, 12, 0, "dense"],
        ["dense 2", [2], 3 * 2 + 2 + 2 * 2, 6, 0, "dense"],
        ["output", [2], 2 * 2 + 2, 4, 0, "dense"],
      ]);
      expect(totals).toMatchObject({ layers: 4, neurons: 11, connections: 22, possibleConnections: 22, sparsity: 0 });
      expect(totals.parameters).toEqual({ weights: 22, biases: 7, norm: 10, maskLogits: 0, total: 39, nonTrainable: 0 });
    } finally {
      model.dispose();
    }
  });

  it("gives a structure's depths the graph's edges, skip connections included, and says which kernels run sparse", async () => {
    const model = await buildModel(STRUCTURE);
    try {
      expectRowsMatchModel(model);
      const { rows } = model.summary();
      expect(rows.map((r) => r.kind)).toEqual(["input", "structure d depth 0", "structure d depth 1", "structure d depth 2", "dense 1", "output"]);
      // depth 1 (vertices 1, 2) gets 0 -> 1 and 0 -> 2; depth 2 (vertex 3) gets 1 -> 3, 2 -> 3 and the skip 0 -> 3 out of 1 + 2 possible.
      expect(rows[2]!.connections).toBe(2);
      expect(rows[3]!.connections).toBe(3);
      expect(rows[3]!.possibleConnections).toBe(3);
      const graphLayers = new Set(model.execution.filter((s) => s.kind === "graph").flatMap((s) => s.layers));
      for (const row of rows.slice(1)) expect(row.kernel).toBe(graphLayers.has(row.layer) ? "sparse" : "dense");
    } finally {
      model.dispose();
    }
  });

  it("counts a random mask's live connections and a learnable mask's logits", async () => {
    const masked = await buildModel(MASKED);
    const learnable = await buildModel(LEARNABLE);
    try {
      expectRowsMatchModel(masked);
      const dense1 = masked.summary().rows[1]!;
      expect(dense1.connections).toBe(masked.liveConnections("input->dense1"));
      expect(dense1.connections).toBeLessThan(48);
      expect(dense1.sparsity).toBeCloseTo(1 - dense1.connections / 48, 12);
      expectRowsMatchModel(learnable);
      const rows = learnable.summary().rows;
      expect(rows[1]!.parameters.maskLogits).toBe(2 * 12);
      expect(rows[2]!.parameters.maskLogits).toBe(2 * 6);
      expect(learnable.summary().text).toContain("mask logits 36");
    } finally {
      masked.dispose();
      learnable.dispose();
    }
  });

  it("follows the masks as they change", async () => {
    const model = await buildModel(DENSE);
    try {
      const block = model.blocks[0]!.name;
      model.setMask(
        block,
        Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      );
      expect(model.summary().rows[1]!.connections).toBe(4);
      expect(model.summary().totals.connections).toBe(model.liveConnections());
    } finally {
      model.dispose();
    }
  });

  it("prints a fixed-width table: one row per layer, the columns aligned, totals below", async () => {
    const model = await buildModel(MASKED);
    try {
      const lines = model.summary().text.split("\n");
      expect(lines[0]).toBe('Model: "M" (cpu, execution auto)');
      expect(lines[2]).toMatch(/^Layer \(kind\) +Shape +Param # +Connections +Sparsity +Kernel$/);
      const rule = lines[1]!;
      expect(lines.every((l) => l.length <= rule.length)).toBe(true);
      expect(lines.filter((l) => /^(input|dense\d|output) \(/.test(l))).toHaveLength(4);
      const dense1 = lines.find((l) => l.startsWith("dense1 (dense 1)"))!;
      const live = model.liveConnections("input->dense1");
      expect(dense1).toContain(`${live} / 48`);
      expect(lines).toContain(
        `Live connections: ${model.liveConnections()} of ${model.totalConnections()} (sparsity ${((1 - model.liveConnections() / model.totalConnections()) * 100).toFixed(1)}%)`,
      );
    } finally {
      model.dispose();
    }
  });
});

describe("dsc summary", () => {
  it("prints the summary of each network of a .ds file, or of the one --network names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-summary-"));
    const file = join(dir, "two.ds");
    writeFileSync(file, `${DENSE}\n${MASKED}\n`);
    const io = capture();
    expect(await main(["summary", file], io)).toBe(0);
    const model = await buildModel(DENSE);
    try {
      expect(io.stdout[0]).toBe(model.summary().text);
    } finally {
      model.dispose();
    }
    expect(io.stdout[2]).toMatch(/^Model: "M"/);
    const one = capture();
    expect(await main(["summary", file, "--network", "M"], one)).toBe(0);
    expect(one.stdout).toHaveLength(1);
    const missing = capture();
    expect(await main(["summary", file, "--network", "X"], missing)).toBe(1);
    expect(missing.stderr).toEqual([`dsc: ${file} has no network 'X'; its networks are D, M`]);
  });

  it("prints the summary of examples/small_world.ds", async () => {
    const io = capture();
    expect(await main(["summary", join(import.meta.dirname, "..", "..", "examples", "small_world.ds")], io)).toBe(0);
    expect(io.stdout[0]).toContain("Total params: 244,106 (weights 243,072, biases 1,034)\nTrainable params: 244,106\nNon-trainable params: 0\n");
  });

  it("prints README's example tables of examples/mlp.ds and examples/recurrent.ds as they stand there", async () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const mlp = /\n\$ dsc summary examples\/mlp\.ds\n([^`]*)\n```/.exec(readme)?.[1];
    const io = capture();
    expect(await main(["summary", join(import.meta.dirname, "..", "..", "examples", "mlp.ds")], io)).toBe(0);
    expect(io.stdout).toEqual([mlp]);
    const recurrent = /`dsc summary examples\/recurrent\.ds`[^`]*```\n([^`]*\n)```/.exec(readme)?.[1];
    expect(recurrent).toMatch(/^input \(input\)[^]*\nTotal params: /);
    const lstm = capture();
    expect(await main(["summary", join(import.meta.dirname, "..", "..", "examples", "recurrent.ds")], lstm)).toBe(0);
    expect(lstm.stdout[0]).toContain(recurrent);
  });

  it("prints examples/recurrent.ds's LSTM layers and examples/cells.ds's cells, head and running statistics", async () => {
    const recurrent = capture();
    expect(await main(["summary", join(import.meta.dirname, "..", "..", "examples", "recurrent.ds")], recurrent)).toBe(0);
    const lines = recurrent.stdout[0]!.split("\n");
    // lstm1: 1 input and 64 hidden rows of 4 · 64 gate columns, 256 biases; lstm2 reads lstm1's 64; the output 64 · 10 + 10.
    const lstm1 = lines.findIndex((l) => l.startsWith("lstm1 ("));
    expect(lines[lstm1]).toMatch(/^lstm1 \(lstm, 4 gates\) +\[20, 64\] +16,896 +16,640 \/ 16,640 +0\.0%$/);
    expect(lines[lstm1 + 1]).toBe("  input weights [1, 256], hidden weights [64, 256]");
    expect(lines.find((l) => l.startsWith("lstm2 ("))).toMatch(/ 33,024 +32,768 \/ 32,768 +0\.0%$/);
    expect(lines).toContain("Total params: 50,570 (weights 50,048, biases 522)");
    const cells = capture();
    expect(await main(["summary", join(import.meta.dirname, "..", "..", "examples", "cells.ds")], cells)).toBe(0);
    const text = cells.stdout[0]!;
    expect(text.split("\n").filter((l) => /^cell\d+\.(conv1 \(conv|bn1 \(batch norm)\)/.test(l))).toHaveLength(2 * 16);
    expect(text).toMatch(/\nhead\.conv \(conv\) +\[64, 7, 7\] +2,112 +2,048 \/ 2,048 /);
    expect(text).toMatch(/\nhead\.bn \(batch norm\) +\[64, 7, 7\] +256\n/);
    expect(text).toContain("Non-trainable params: 480 (batch-norm running means and variances)");
  });

  it("prints a run folder's saved model, its pruned masks included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-summary-run-"));
    const model = await buildModel(DENSE);
    try {
      model.setMask(
        model.blocks[0]!.name,
        Array.from({ length: 12 }, (_, i) => (i < 5 ? 1 : 0)),
      );
      await saveWeights(model, dir);
      const io = capture();
      expect(await main(["summary", dir], io)).toBe(0);
      expect(io.stdout).toEqual([model.summary().text]);
      expect(io.stdout[0]).toContain("Live connections: 15 of 22");
    } finally {
      model.dispose();
    }
  });

  it("prints a run folder's recurrent model with its pruned hidden weights", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-summary-run-"));
    const model = await buildModel("network R {\n  input [4, 2]\n  recurrent gru(hidden=[3])\n  output 2\n}");
    try {
      // gru1's hidden weight is [3, 9]: keep its first row only.
      model.setMask(
        "gru1.hidden",
        Array.from({ length: 27 }, (_, i) => (i < 9 ? 1 : 0)),
      );
      await saveWeights(model, dir);
      const io = capture();
      expect(await main(["summary", dir], io)).toBe(0);
      expect(io.stdout).toEqual([model.summary().text]);
      // gru1: 2 · 9 input and 9 of 27 hidden connections live; the output's 3 · 2.
      expect(io.stdout[0]).toMatch(/\ngru1 \(gru, 3 gates\) +\[4, 3\] +\d+ +27 \/ 45 +40\.0%\n {2}input weights \[2, 9\], hidden weights \[3, 9\]\n/);
      expect(io.stdout[0]).toContain("Live connections: 33 of 51");
    } finally {
      model.dispose();
    }
  });

  it("reports a file with errors and a missing path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-summary-"));
    const bad = join(dir, "bad.ds");
    writeFileSync(bad, "network N { input 4 }");
    const io = capture();
    expect(await main(["summary", bad], io)).toBe(1);
    expect(io.stderr.join("\n")).toMatch(/error DS\d{4}/);
    const none = capture();
    expect(await main(["summary", join(dir, "nothing")], none)).toBe(1);
    expect(none.stderr[0]).toMatch(/cannot read .*nothing: no such file/);
  });
});
