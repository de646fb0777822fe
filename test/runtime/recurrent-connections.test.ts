import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractConnections, type ConnectionList, type Model } from "../../runtime/index.js";
import { analyze } from "../../src/index.js";
import { buildModel } from "../support/models.js";

/** A list entry's neuron as `LAYER:INDEX`, from the layer whose range holds it. */
function neuronName(list: ConnectionList, neuron: number): string {
  const layer = list.layers.find((l) => neuron >= l.offset && neuron < l.offset + l.size)!;
  return `${layer.name}:${neuron - layer.offset}`;
}

/** Entries as `SOURCE->TARGET`, with their weights, in list order. */
function entries(list: ConnectionList): { pair: string; weight: number }[] {
  return Array.from(list.sources, (s, i) => ({ pair: `${neuronName(list, s)}->${neuronName(list, list.targets[i]!)}`, weight: list.weights[i]! }));
}

/** The hidden-to-hidden pairs of `layer` as `u->v` (neuron positions). */
function hiddenPairs(list: ConnectionList, layer: string): Set<string> {
  const prefix = `${layer}:`;
  return new Set(
    entries(list)
      .map((e) => e.pair.split("->") as [string, string])
      .filter(([s, t]) => s.startsWith(prefix) && t.startsWith(prefix))
      .map(([s, t]) => `${s.slice(prefix.length)}->${t.slice(prefix.length)}`),
  );
}

/** A declared graph's edges, both ways, from what the compiler builds for it. */
function bothWays(declaration: string): Set<string> {
  const { program, diagnostics } = analyze(`${declaration}\nnetwork S { input 1 output 1 }`);
  expect(diagnostics).toEqual([]);
  const edges = new Set<string>();
  program!.graphs.get("g")!.graph.forEachEdge((_e, _a, s, t) => edges.add(`${s}->${t}`).add(`${t}->${s}`));
  return edges;
}

/** What order 0 of extractGraph says of the same model: per edge, its weight (one gate) or its norm over gates, as float32 as the list stores it. */
function graphEntries(model: Model, options: { includeInputs?: boolean } = {}): string[] {
  const graph = model.extractGraph({ order: 0, ...options });
  return graph.mapEdges((_e, a, s, t) => `${s}->${t}=${Math.fround(a.weight ?? a.norm!)}`).sort();
}

const listed = (list: ConnectionList): string[] =>
  entries(list)
    .map((e) => `${e.pair}=${e.weight}`)
    .sort();

describe("extractConnections of a recurrent network", () => {
  it("gives a graph-made layer's graph back exactly, both ways and nothing else (Watts–Strogatz and Erdős–Rényi, any seed)", async () => {
    const generators = [(seed: number) => `graph g = watts_strogatz(14, 4, 0.3, seed=${seed})`, (seed: number) => `graph g = erdos_renyi(11, 0.35, seed=${seed})`];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1 }), fc.constantFrom("rnn", "gru", "lstm"), async (seed, which, kind) => {
        const declaration = generators[which]!(seed);
        const model = await buildModel(`${declaration}\nnetwork R { input [3, 2] recurrent ${kind}(hidden=[g, 4]) output 2 }`, { seed });
        try {
          const list = extractConnections(model);
          expect(hiddenPairs(list, `${kind}1`)).toEqual(bothWays(declaration));
          expect(hiddenPairs(list, `${kind}2`).size).toBe(16); // the sized layer is dense, self-loops included
          expect(list.layers.map((l) => [l.name, l.size])).toEqual([
            ["input", 2],
            [`${kind}1`, model.recurrent[0]!.hidden],
            [`${kind}2`, 4],
            ["output", 2],
          ]);
        } finally {
          model.dispose();
        }
      }),
      { numRuns: 16, seed: 23 },
    );
  });

  it("keeps self-loops and one-way edges of a graph file's cycle, one entry per pair whatever the gates", async () => {
    const declaration = "graph g = edges { 0 -> 1, 1 -> 2, 2 -> 0, 2 -> 2, 3 -> 1 }";
    const model = await buildModel(`${declaration}\nnetwork R { input [4, 3] recurrent gru(hidden=g) dense 3 output 2 }`, { seed: 2 });
    const list = extractConnections(model);
    expect(hiddenPairs(list, "gru1")).toEqual(new Set(["0->1", "1->2", "2->0", "2->2", "3->1"]));
    const pairs = entries(list).map((e) => e.pair);
    expect(new Set(pairs).size).toBe(pairs.length);
    // Layer 0 of the dense part is the last recurrent layer: its neurons feed dense1.
    expect(pairs.filter((p) => p.startsWith("gru1:") && p.includes("->dense1:")).length).toBe(4 * 3);
    expect(listed(list)).toEqual(graphEntries(model));
    model.dispose();
  });

  it("lists the input connections, leaving out a pair only when every gate's weight of it is masked, and agrees with extractGraph", async () => {
    const model = await buildModel("network R { input [5, 3] recurrent lstm(hidden=[4, 2]) dense 3 output 2 }", { seed: 7 });
    const mask = model.getMask("lstm1.input");
    // Row 1 (feature 1), neuron 2: its four gates are columns 2, 6, 10, 14 of [3, 16].
    for (const gate of [0, 1, 2, 3]) mask[16 + gate * 4 + 2] = 0;
    mask[2 * 16 + 4 + 3] = 0; // feature 2 → neuron 3 keeps three gates
    model.setMask("lstm1.input", mask);
    const pairs = new Set(entries(extractConnections(model)).map((e) => e.pair));
    expect(pairs.has("input:1->lstm1:2")).toBe(false);
    expect(pairs.has("input:2->lstm1:3")).toBe(true);
    expect([...pairs].filter((p) => p.startsWith("input:")).length).toBe(3 * 4 - 1);
    expect(listed(extractConnections(model))).toEqual(graphEntries(model));
    const withoutInputs = extractConnections(model, { includeInputs: false });
    expect(withoutInputs.layers.map((l) => l.name)).toEqual(["lstm1", "lstm2", "dense1", "output"]);
    expect(listed(withoutInputs)).toEqual(graphEntries(model, { includeInputs: false }));
    model.dispose();
  });

  it("gives an rnn's signed weights, drops weights at or under the threshold, and lists every step of output=all as layer 0", async () => {
    const model = await buildModel("network R { input [3, 2] recurrent rnn(hidden=3, output=all) output 2 }", { seed: 4 });
    const weights = model.parameters.find((p) => p.name === "rnn1.hiddenWeight")!.variable.dataSync();
    const list = extractConnections(model);
    const hidden = entries(list).filter((e) => e.pair.startsWith("rnn1:") && e.pair.includes("->rnn1:"));
    expect(hidden.map((e) => e.weight)).toEqual(Array.from(weights));
    expect(list.layers.map((l) => [l.name, l.size])).toEqual([
      ["input", 2],
      ["rnn1", 3],
      ["recurrent", 9],
      ["output", 2],
    ]);
    expect(entries(list).filter((e) => e.pair.includes("->recurrent:") && e.weight === 1).length).toBe(9);
    expect(listed(list)).toEqual(graphEntries(model));
    const threshold = 0.3;
    const kept = hiddenPairs(extractConnections(model, { threshold }), "rnn1");
    expect(kept.size).toBe(Array.from(weights).filter((w) => Math.abs(w) > threshold).length);
    model.dispose();
  });
});
