import { describe, expect, it } from "vitest";
import { analyze, networkSpec } from "../../src/index.js";
import { formatDiagnostic } from "../../src/diagnostics/format.js";
import { format } from "../../src/format/index.js";
import { decodeIntegers, decodeMask } from "../../runtime/index.js";
import { emitPytorch } from "../../src/emit-pytorch/index.js";

function errors(source: string): string[] {
  const { diagnostics } = analyze(source, { fileName: "c.ds" });
  return diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d, source).split("\n")[0]!);
}

const cellNetwork = (cell: string, settings = "structure g\n  cells block", graph = "edges { 0 -> 1, 0 -> 2, 1 -> 2 }"): string =>
  `cell block = [${cell}]\ngraph g = ${graph}\nnetwork N {\n  input [1, 8, 8]\n  ${settings}\n  output 2\n}\n`;

describe("cell networks in the compiler", () => {
  it("lowers one cell per vertex, depth by depth, each reading its in-neighbours in ascending order, and the head", () => {
    const { plans, diagnostics } = analyze(cellNetwork("conv(4, kernel=3, padding=same), batch_norm()", "features [conv(2, kernel=3)]\n  structure g\n  cells block\n  head 5"));
    expect(diagnostics).toEqual([]);
    const spec = networkSpec(plans![0]!);
    expect(spec.features!.map((f) => f.name)).toEqual(["conv1"]);
    expect(spec.cells!.graph).toBe("g");
    expect(spec.cells!.vertices.map((v) => [v.vertex, v.inputs, v.layers.map((l) => l.name)])).toEqual([
      [0, [], ["cell0.conv1", "cell0.bn1"]],
      [1, [0], ["cell1.conv1", "cell1.bn1"]],
      [2, [0, 1], ["cell2.conv1", "cell2.bn1"]],
    ]);
    expect(spec.cells!.vertices[2]!.layers[0]).toEqual({
      name: "cell2.conv1",
      kind: "conv",
      channels: 4,
      kernel: [3, 3],
      stride: [1, 1],
      dilation: [1, 1],
      padding: "same",
      activate: false,
    });
    expect(spec.cells!.head.map((l) => [l.name, l.kind])).toEqual([
      ["head.conv", "conv"],
      ["head.bn", "batchNorm"],
      ["head.gap", "globalAvgPool"],
    ]);
    expect(spec.cells!.head[0]).toMatchObject({ channels: 5, kernel: [1, 1] });
    expect(spec.layers[0]).toEqual({ name: "cells", origin: { kind: "input" }, size: 5 });
    expect(spec.blocks.map((b) => b.name)).toEqual(["cells->output"]);
  });

  it("takes any graph the language makes: generators oriented, and a scalable graph's group sizes as each cell's conv width", () => {
    const source = `cell block = [conv(4, kernel=3, padding=same)]
graph g = scalable(orient(watts_strogatz(n=6, k=2, p=0.5, seed=3), random, seed=1), scale=18, proportions=[1, 2, 3, 1, 2, 3])
network N { input [1, 6, 6] structure g cells block dense 7 output 2 }`;
    const { plans, diagnostics } = analyze(source);
    expect(diagnostics).toEqual([]);
    const spec = networkSpec(plans![0]!);
    const widths = new Map(spec.cells!.vertices.map((v) => [v.vertex, (v.layers[0] as { channels: number }).channels]));
    // The same graph as a plain structure: each vertex's group of neurons.
    const plain = networkSpec(analyze(source.replace("cells block dense 7", "dense 7")).plans![0]!);
    const groups = new Map<number, number>();
    for (const layer of plain.layers.filter((l) => l.vertices !== undefined)) for (const v of decodeIntegers(layer.vertices!)) groups.set(v, (groups.get(v) ?? 0) + 1);
    expect(widths).toEqual(groups);
    expect(new Set(widths.values()).size).toBeGreaterThan(1);
    expect(spec.cells!.head[0]).toMatchObject({ channels: 64 });
    expect(spec.blocks.map((b) => b.name)).toEqual(["cells->dense1", "dense1->output"]);
    // Every vertex comes after its inputs.
    const seen = new Set<number>();
    for (const v of spec.cells!.vertices) {
      for (const u of v.inputs) expect(seen.has(u)).toBe(true);
      seen.add(v.vertex);
    }
  });

  it("masks cell convs with mask random(…) when it names no layers, and only the stem conv it names otherwise", () => {
    const live = (spec: ReturnType<typeof networkSpec>, name: string, size: number): number => {
      const layer = [...spec.cells!.vertices.flatMap((v) => v.layers), ...spec.cells!.head].find((l) => l.name === name) as { mask?: string };
      return layer.mask === undefined ? size : decodeMask(layer.mask, size).reduce((a, b) => a + b, 0);
    };
    const all = networkSpec(analyze(cellNetwork("conv(4, kernel=3, padding=same)", "structure g\n  cells block\n  mask random(density=0.5, seed=3)")).plans![0]!);
    // cell2 reads cells 0 and 1 (4 channels each): 3·3·8·4 weights.
    for (const [name, size] of [
      ["cell0.conv1", 36],
      ["cell1.conv1", 144],
      ["cell2.conv1", 288],
      ["head.conv", 4 * 64],
    ] as const) {
      expect(live(all, name, size)).toBeGreaterThan(size * 0.3);
      expect(live(all, name, size)).toBeLessThan(size * 0.7);
    }
    // A name in layers=[…] is a plain name, so it selects the stem's convs (conv1), never a cell's (cell0.conv1).
    const text = cellNetwork(
      "conv(4, kernel=3, padding=same)",
      "features [conv(2, kernel=3, padding=same)]\n  structure g\n  cells block\n  mask random(density=0.5, seed=3, layers=[conv1])",
    );
    const one = networkSpec(analyze(text).plans![0]!);
    expect((one.features![0] as { mask?: string }).mask).toBeDefined();
    expect(live(one, "cell0.conv1", 72)).toBe(72);
    expect(live(one, "head.conv", 256)).toBe(256);
  });

  it("reports a cell whose layer does not fit the maps at some vertex, at that layer, naming the vertex", () => {
    // Vertex 0 makes 2×2 maps (8 → 8 → 4 → 2), too small for vertex 1's first conv, 3×3 valid.
    expect(errors(cellNetwork("conv(2, kernel=3, padding=same), max_pool(2), conv(2, kernel=3)"))).toEqual([
      "c.ds:1:15: error DS2075: conv1 of cell 'block' at vertex 1 of 'g' does not fit its input: its 3×3 window is larger than its 2×2 input",
    ]);
  });

  it("reports cells that end their maps, cells with no conv, unknown cells, a missing structure, head without cells, and a cycle", () => {
    expect(errors(cellNetwork("conv(2), global_avg_pool()"))).toEqual(["c.ds:1:24: error DS2070: a cell cannot hold global_avg_pool(): its maps go on to other cells"]);
    expect(errors(cellNetwork("conv(2), flatten()"))).toEqual(["c.ds:1:24: error DS2070: a cell cannot hold flatten(): its maps go on to other cells"]);
    expect(errors(cellNetwork("batch_norm(), max_pool(2)"))).toEqual(["c.ds:1:6: error DS2071: cell 'block' has no conv layer, so its output channels would depend on its inputs"]);
    expect(errors(cellNetwork("conv(2)", "structure g\n  cells blok"))).toEqual(["c.ds:6:9: error DS2072: unknown cell 'blok'"]);
    expect(analyze(cellNetwork("conv(2)", "structure g\n  cells blok")).diagnostics[0]!.hint).toBe("did you mean 'block'?");
    expect(errors(cellNetwork("conv(2)", "cells block"))).toEqual(["c.ds:5:3: error DS2073: 'cells' in network 'N' needs exactly one structure, written before any dense layer"]);
    expect(errors(cellNetwork("conv(2)", "dense 4\n  structure g\n  cells block"))).toEqual([
      "c.ds:7:3: error DS2073: 'cells' in network 'N' needs exactly one structure, written before any dense layer",
    ]);
    expect(errors(cellNetwork("conv(2)", "structure g\n  head 8"))).toEqual([
      "c.ds:6:3: error DS2074: 'head' sets the channels of a cell network's head, but network 'N' has no 'cells'",
    ]);
    expect(errors(cellNetwork("conv(2)", "structure g\n  cells block", "edges { 0 -> 1, 1 -> 2, 2 -> 0 }"))).toEqual([
      expect.stringMatching(/^c\.ds:2:\d+: error DS3001: graph 'g' has a cycle: /),
    ]);
    expect(errors(cellNetwork("conv(2)", "structure g\n  cells block").replace("input [1, 8, 8]", "input 64"))).toEqual([
      "c.ds:4:9: error DS2054: feature layers need an input [channels, height, width], but network 'N' has input [64]",
    ]);
  });

  it("keeps a cell declaration through dsc fmt", () => {
    const source = "cell  block=[conv(4,kernel=3),  batch_norm()]\n";
    expect(format(source).text).toBe("cell block = [conv(4, kernel=3), batch_norm()]\n");
  });
});

describe("cell networks and the PyTorch target", () => {
  it("are emitted cell by cell (parity and DDP: test/pytorch)", () => {
    const { plans } = analyze("cell c = [conv(2)]\ngraph g = path(2)\nnetwork N { input [1, 6, 6] structure g cells c output 2 }");
    const written = emitPytorch(plans!);
    expect(written).toContain("class N(Network):");
    expect(written).toContain('cell1 = self.cells["cell1"].maps(cell0)  # cell1 [2, 2, 2] <- cell0');
  });
});
