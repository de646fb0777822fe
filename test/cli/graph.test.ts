import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";

describe("dsc graph", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsc-graph-"));
  const file = join(dir, "g.ds");
  writeFileSync(file, "graph t = balanced_tree(r=2, h=2)\ngraph d = edges { 0 -> 1, 1 -> 2, 0 -> 2 }\n");

  it("prints vertices, edges, layer sizes and connected layer pairs, and writes GraphML", async () => {
    const io = capture();
    const out = join(dir, "t.graphml");
    expect(await main(["graph", file, "--graph", "t", "-o", out], io)).toBe(0);
    expect(io.stdout).toEqual([
      "graph t: 7 vertices, 6 edges, 3 layers",
      "layer sizes: 1 2 4",
      "connected layers (source -> target: edges):",
      "  0 -> 1: 2",
      "  1 -> 2: 4",
      `wrote ${out}`,
    ]);
    const xml = readFileSync(out, "utf8");
    expect(xml).toContain('<edge source="2" target="6"/>');
    expect(xml.match(/<node /g)).toHaveLength(7);
  });

  it("asks for --graph when there are several, naming them", async () => {
    const io = capture();
    expect(await main(["graph", file], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("declares several graphs ('t', 'd'); choose one with --graph");
  });
});
