import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveWeights } from "../../runtime/files.js";
import { main } from "../../src/cli/main.js";
import { analyze } from "../../src/index.js";
import { capture } from "../support/cli.js";
import { buildModel } from "../support/models.js";

describe("dsc extract and dsc inspect", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dsc-extract-"));
  const model = await buildModel("graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }\nnetwork D { input 2 structure d output 2 }", { seed: 5 });
  model.setMask("d.d0->d.d2", [0]); // prune the skip connection 0 -> 3
  await saveWeights(model, join(dir, "run"));

  it.each(["graphml", "gexf", "json"])("writes the order-0 hidden graph as %s, which file(...) reads back", async (format) => {
    const out = join(dir, `hidden.${format}`);
    const io = capture();
    expect(await main(["extract", join(dir, "run"), "--order", "0", "--no-inputs", "--no-outputs", "-o", out, "--backend", "cpu"], io)).toBe(0);
    expect(io.stdout).toEqual([`D, order 0: 4 vertices, 4 edges -> ${out}`]);
    const read = analyze(`graph g = file("${out}")`).program!.graphs.get("g")!;
    expect(read.graph.mapEdges((_e, _a, s, t) => `${s}->${t}`).sort()).toEqual(["0->1", "0->2", "1->3", "2->3"]);
  });

  it("keeps weights on order-0 edges and counts on order-2 edges", async () => {
    const out = join(dir, "layers.json");
    expect(await main(["extract", join(dir, "run"), "--order", "2", "-o", out, "--backend", "cpu"], capture())).toBe(0);
    const json = JSON.parse(readFileSync(out, "utf8")) as { edges: { source: string; target: string; connections: number }[] };
    expect(json.edges.find((e) => e.source === "d.d0" && e.target === "d.d1")?.connections).toBe(2);
    expect(json.edges.some((e) => e.source === "d.d0" && e.target === "d.d2")).toBe(false);
  });

  it("inspects a saved model and a graph file", async () => {
    const io = capture();
    expect(await main(["inspect", join(dir, "run"), "--backend", "cpu"], io)).toBe(0);
    expect(io.stdout[0]).toBe("D (order 0): 8 vertices, 8 edges, density 0.1429"); // input→0: 2, hidden: 4, sink 3→output: 2
    expect(io.stdout).toContain("layer sizes: 2 1 2 1 2");
    const file = capture();
    expect(await main(["inspect", join(dir, "hidden.json")], file)).toBe(0);
    expect(file.stdout).toEqual([
      `${join(dir, "hidden.json")}: 4 vertices, 4 edges, density 0.3333`,
      "in-degree min 0, mean 1.00, max 2; out-degree min 0, mean 1.00, max 2",
      "degree distribution (degree:vertices): 2:4",
      "layer sizes: 1 2 1",
      "source-to-sink path lengths: shortest min 2, mean 2.00, max 2; longest min 2, mean 2.00, max 2",
    ]);
  });

  it("refuses an order that does not exist and a format it cannot write", async () => {
    const io = capture();
    expect(await main(["extract", join(dir, "run"), "--order", "3"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("--order must be 0, 1 or 2, got '3'");
    const other = capture();
    expect(await main(["extract", join(dir, "run"), "--order", "0", "-o", join(dir, "g.txt"), "--backend", "cpu"], other)).toBe(2);
    expect(other.stderr.join("\n")).toContain("cannot write '.txt' files; use .graphml, .gexf or .json");
  });
});
