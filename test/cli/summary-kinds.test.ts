import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createNetwork, type Model, type Parameter } from "../../runtime/index.js";
import type { SummaryRow } from "../../runtime/summary.js";
import { analyze, networkSpec } from "../../src/index.js";
import { buildModel } from "../support/models.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const FILES = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ds"));

const size = (list: readonly Parameter[]): number => list.reduce((sum, p) => sum + p.variable.size, 0);
const owner = (p: Parameter): string => p.name.slice(0, p.name.lastIndexOf("."));

/** The live and possible connections of the weights a row's layer owns, asked of the model weight by weight. */
function ownConnections(model: Model, row: SummaryRow): { live: number; possible: number } {
  const recurrent = model.recurrent.find((r) => r.name === row.layer);
  const names = recurrent
    ? recurrent.masks.map((m) => m.name)
    : model.features.some((f) => f.name === row.layer && f.weightShape !== undefined)
      ? [row.layer]
      : model.blocks.filter((b) => b.target === row.layer).map((b) => b.name);
  return {
    live: names.reduce((sum, n) => sum + model.liveConnections(n), 0),
    possible: names.reduce((sum, n) => sum + model.getMask(n).length, 0),
  };
}

/** Every layer of every kind has its row; every trainable and non-trainable variable is counted in exactly one, and the totals are the model's own. */
function expectSummaryTrue(model: Model): readonly SummaryRow[] {
  const { rows, totals, text } = model.summary();
  const front = model.features.length + model.recurrent.length > 0 ? ["input", ...model.features.map((f) => f.name), ...model.recurrent.map((r) => r.name)] : [];
  expect(rows.map((r) => r.layer)).toEqual([...front, ...model.layers.map((l) => l.name)]);
  for (const p of [...model.parameters, ...model.state])
    expect(
      rows.filter((r) => r.layer === owner(p)).map((r) => r.layer),
      p.name,
    ).toHaveLength(1);
  for (const row of rows) {
    const own = model.parameters.filter((p) => owner(p) === row.layer);
    expect(row.parameters.total, row.layer).toBe(size(own));
    expect(row.parameters.weights, row.layer).toBe(size(own.filter((p) => /\.(weight|inputWeight|hiddenWeight)$/.test(p.name))));
    expect(row.parameters.nonTrainable, row.layer).toBe(size(model.state.filter((s) => owner(s) === row.layer)));
    const { live, possible } = ownConnections(model, row);
    expect([row.connections, row.possibleConnections], row.layer).toEqual([live, possible]);
  }
  expect(totals.parameters.total).toBe(size(model.parameters));
  expect(totals.parameters.nonTrainable).toBe(size(model.state));
  expect(totals.connections).toBe(model.liveConnections());
  expect(totals.possibleConnections).toBe(model.totalConnections());
  expect(rows.reduce((sum, r) => sum + r.connections, 0)).toBe(model.liveConnections());
  expect(rows.reduce((sum, r) => sum + r.possibleConnections, 0)).toBe(model.totalConnections());
  const count = (n: number): string => n.toLocaleString("en-US");
  expect(text).toContain(`Total params: ${count(size(model.parameters) + size(model.state))} (`);
  expect(text).toContain(`Trainable params: ${count(size(model.parameters))}\n`);
  expect(text).toContain(`Non-trainable params: ${count(size(model.state))}`);
  return rows;
}

describe("model.summary() of every example", () => {
  it("has a row for each layer of every kind, and totals equal to the model's variables and masks", async () => {
    const kinds = new Set<string>();
    for (const file of FILES) {
      const path = join(EXAMPLES, file);
      const { plans, diagnostics } = analyze(readFileSync(path, "utf8"), { fileName: path });
      expect(
        diagnostics.filter((d) => d.severity === "error"),
        file,
      ).toEqual([]);
      for (const plan of plans!) {
        const model = await createNetwork(networkSpec(plan), { backend: "cpu" });
        try {
          for (const row of expectSummaryTrue(model))
            kinds.add(row.layer.startsWith("cell") && row.kind !== "input" ? `cell ${row.kind}` : row.kind.replace(/ \d+$| .*depth.*/, ""));
        } finally {
          model.dispose();
        }
      }
    }
    // A kind no example has any more would go untested: say so.
    for (const kind of ["input", "dense", "structure", "output", "conv", "batch norm", "max pool", "cell conv", "cell batch norm", "global avg pool", "lstm"])
      expect(kinds, kind).toContain(kind);
  }, 240_000);
});

describe("model.summary() of recurrent layers", () => {
  it.each([
    ["rnn", 1],
    ["gru", 3],
    ["lstm", 4],
  ] as const)("gives a %s layer its input and hidden weights, its %i gates and its live connections", async (kind, gates) => {
    const model = await buildModel(`network R {\n  input [6, 3]\n  recurrent ${kind}(hidden=[5, 4])\n  output 2\n}`);
    try {
      const rows = expectSummaryTrue(model);
      expect(rows.map((r) => [r.layer, r.kind, r.shape])).toEqual([
        ["input", "input", [6, 3]],
        [`${kind}1`, kind, [6, 5]],
        [`${kind}2`, kind, [6, 4]],
        ["recurrent", "input", [4]],
        ["output", "output", [2]],
      ]);
      expect(rows[1]!.recurrent).toEqual({ gates, inputWeights: [3, gates * 5], hiddenWeights: [5, gates * 5] });
      expect(rows[2]!.recurrent).toEqual({ gates, inputWeights: [5, gates * 4], hiddenWeights: [4, gates * 4] });
      expect(rows[2]!.parameters.weights).toBe(5 * gates * 4 + 4 * gates * 4);
      const hidden = model.getMask(`${kind}2.hidden`).map((_, i) => (i % 2 === 0 ? 1 : 0));
      model.setMask(`${kind}2.hidden`, hidden);
      const pruned = expectSummaryTrue(model)[2]!;
      expect(pruned.connections).toBe(5 * gates * 4 + (4 * gates * 4) / 2);
      expect(pruned.sparsity).toBeCloseTo((4 * gates * 4) / 2 / (5 * gates * 4 + 4 * gates * 4), 12);
      const lines = model.summary().text.split("\n");
      const at = lines.findIndex((l) => l.startsWith(`${kind}2 (`));
      const line = lines[at];
      expect(line).toMatch(new RegExp(`^${kind}2 \\(${kind}, ${gates} gates?\\) +\\[6, 4\\] `));
      expect(lines[at + 1]).toBe(`  input weights [5, ${gates * 4}], hidden weights [4, ${gates * 4}]`);
      expect(lines.filter((l) => l.length > lines[1]!.length)).toEqual([]);
      expect(line).toContain(`${pruned.connections} / ${pruned.possibleConnections}`);
    } finally {
      model.dispose();
    }
  });
});

describe("model.summary() of batch norms", () => {
  it("counts running statistics as non-trainable, apart from the gains and shifts", async () => {
    const model = await buildModel("network C {\n  input [1, 6, 6]\n  features [conv(4, kernel=3), batch_norm(), max_pool(2)]\n  output 3\n}");
    try {
      const rows = expectSummaryTrue(model);
      const bn = rows.find((r) => r.kind === "batch norm")!;
      expect(bn.parameters).toMatchObject({ norm: 2 * 4, total: 2 * 4, nonTrainable: 2 * 4 });
      const lines = model.summary().text.split("\n");
      expect(lines.find((l) => l.startsWith("bn1 ("))).toMatch(/ 16$/);
      // conv 3·3·1·4 weights and 4 biases; output reads 4 channels of 2×2 (6 → 4 by the conv, → 2 by the pool): 16·3 weights, 3 biases.
      expect(lines).toContain("Total params: 107 (weights 84, biases 7, batch norm 8, running statistics 8)");
      expect(lines).toContain("Trainable params: 99");
      expect(lines).toContain("Non-trainable params: 8 (batch-norm running means and variances)");
    } finally {
      model.dispose();
    }
  });
});

describe("model.summary() of learnable masks and layer norms", () => {
  it("counts each layer's mask logits and norm gains and shifts in its row and in the totals", async () => {
    const model = await buildModel("network L {\n  input 4\n  dense [3, 2]\n  output 2\n  layer_norm true\n  mask learnable()\n}");
    try {
      const rows = expectSummaryTrue(model);
      // Two logits per connection: 4·3, 3·2 and 2·2 connections; layer norms on the two hidden layers.
      expect(rows.map((r) => [r.parameters.maskLogits, r.parameters.norm])).toEqual([
        [0, 0],
        [2 * 12, 2 * 3],
        [2 * 6, 2 * 2],
        [2 * 4, 0],
      ]);
      expect(model.summary().text).toContain("Total params: 83 (weights 22, biases 7, layer norm 10, mask logits 44)");
    } finally {
      model.dispose();
    }
  });
});
