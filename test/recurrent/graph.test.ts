import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tf, type Model } from "../../runtime/index.js";
import { analyze } from "../../src/index.js";
import { buildModel } from "../support/models.js";

type Kind = "rnn" | "gru" | "lstm";
const GATES: Record<Kind, number> = { rnn: 1, gru: 3, lstm: 4 };

/** A graph's edges as "u->v" strings, read from the layered (oriented, u < v) form elaborate builds for structures, both ways. */
function undirectedEdges(declaration: string): Set<string> {
  const { program, diagnostics } = analyze(`${declaration}\nnetwork S { input 1 output 1 }`);
  expect(diagnostics).toEqual([]);
  const edges = new Set<string>();
  program!.graphs.get("g")!.graph.forEachEdge((_e, _a, s, t) => edges.add(`${s}->${t}`).add(`${t}->${s}`));
  return edges;
}

/** Per gate, the connections u → v the hidden mask [n, gates · n] keeps. */
function maskEdges(model: Model, layer: string, n: number, gates: number): Set<string>[] {
  const mask = model.getMask(`${layer}.hidden`);
  return Array.from({ length: gates }, (_, g) => {
    const edges = new Set<string>();
    for (let u = 0; u < n; u++) for (let v = 0; v < n; v++) if (mask[u * gates * n + g * n + v] === 1) edges.add(`${u}->${v}`);
    return edges;
  });
}

/** The live hidden-to-hidden connections extraction gives back for a layer, keyed by the neurons' positions. */
function extractedHidden(model: Model, layer: string): Set<string> {
  const graph = model.extractGraph({ order: 0 });
  const edges = new Set<string>();
  const prefix = `${layer}:`;
  graph.forEachEdge((_e, _a, s, t) => {
    if (s.startsWith(prefix) && t.startsWith(prefix)) edges.add(`${s.slice(prefix.length)}->${t.slice(prefix.length)}`);
  });
  return edges;
}

const network = (declaration: string, call: string): string => `${declaration}\nnetwork R { input [4, 3] recurrent ${call} output 2 }`;

describe("a graph as a recurrent layer's connectivity", () => {
  const generators = [
    (seed: number) => `graph g = watts_strogatz(12, 4, 0.3, seed=${seed})`,
    (seed: number) => `graph g = erdos_renyi(10, 0.3, seed=${seed})`,
    (seed: number) => `graph g = barabasi_albert(9, 2, seed=${seed})`,
  ];

  it("takes the vertex count as the hidden size and the edges, both ways, as every gate's hidden mask", async () => {
    for (const kind of ["rnn", "gru", "lstm"] as const) {
      for (const [i, make] of generators.entries()) {
        const declaration = make(i + 3);
        const expected = undirectedEdges(declaration);
        const model = await buildModel(network(declaration, `${kind}(hidden=g)`), { seed: 1 });
        const n = model.recurrent[0]!.hidden;
        expect(n).toBe(declaration.includes("watts") ? 12 : declaration.includes("erdos") ? 10 : 9);
        for (const gate of maskEdges(model, `${kind}1`, n, GATES[kind])) expect(gate).toEqual(expected);
        expect(extractedHidden(model, `${kind}1`)).toEqual(expected);
        model.dispose();
      }
    }
  });

  it("gives back the graph exactly from extraction, for any seed (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom<Kind>("rnn", "gru", "lstm"), async (seed, which, kind) => {
        const declaration = generators[which]!(seed);
        const model = await buildModel(network(declaration, `${kind}(hidden=[5, g])`), { seed });
        try {
          expect(extractedHidden(model, `${kind}2`)).toEqual(undirectedEdges(declaration));
          expect(extractedHidden(model, `${kind}1`).size).toBe(25); // the sized layer stays dense
        } finally {
          model.dispose();
        }
      }),
      { numRuns: 12, seed: 17 },
    );
  });

  it("keeps directed cycles and self-loops, which a structure refuses", async () => {
    const declaration = "graph g = edges { 0 -> 1, 1 -> 2, 2 -> 0, 2 -> 2, 3 -> 1 }";
    const model = await buildModel(network(declaration, "gru(hidden=g)"), { seed: 2 });
    const expected = new Set(["0->1", "1->2", "2->0", "2->2", "3->1"]);
    for (const gate of maskEdges(model, "gru1", 4, 3)) expect(gate).toEqual(expected);
    expect(extractedHidden(model, "gru1")).toEqual(expected);
    const self = model.extractGraph({ order: 0 }).getEdgeAttributes("gru1:2", "gru1:2");
    expect(self.connections).toBe(3); // one live weight per gate
    model.dispose();
    const asStructure = analyze(`${declaration}\nnetwork S { input 2 structure g output 1 }`).diagnostics.map((d) => d.code);
    expect(asStructure).toEqual(["DS2019"]);
  });

  it("reads a graph file with a cycle and a self-loop, and mixes graphs and sizes in one stack", async () => {
    const declaration = 'graph g = file("test/recurrent/fixtures/cycle.json")';
    const model = await buildModel(network(declaration, "lstm(hidden=[g, 6, g])"), { seed: 3 });
    expect(model.recurrent.map((l) => [l.inputs, l.hidden])).toEqual([
      [3, 3],
      [3, 6],
      [6, 3],
    ]);
    const expected = new Set(["0->1", "1->2", "2->0", "2->2"]);
    expect(extractedHidden(model, "lstm1")).toEqual(expected);
    expect(extractedHidden(model, "lstm2").size).toBe(36);
    expect(extractedHidden(model, "lstm3")).toEqual(expected);
    expect(model.predict(tf.fill([2, 4, 3], 0.5)).shape).toEqual([2, 2]);
    model.dispose();
  });

  it("keeps masked hidden weights at zero through training", async () => {
    const model = await buildModel(network("graph g = watts_strogatz(8, 2, 0.2, seed=5)", "rnn(hidden=g)"), { seed: 4 });
    const mask = model.getMask("rnn1.hidden");
    const x = tf.randomNormal([16, 4, 3], 0, 1, "float32", 4);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 2),
        "int32",
      ),
      2,
    );
    await model.fit({ x, y }, { epochs: 3, batchSize: 8, learningRate: 0.05, seed: 0 });
    const weights = model.parameters.find((p) => p.name === "rnn1.hiddenWeight")!.variable.dataSync();
    let moved = 0;
    mask.forEach((m, i) => {
      if (m === 0) expect(Math.abs(weights[i]!)).toBe(0);
      else if (weights[i] !== 0) moved++;
    });
    expect(moved).toBe(16); // 8 vertices × degree 2, all live
    model.dispose();
  });

  it("extracts the stack at order 2 as layers with the hidden block a self-edge", async () => {
    const model = await buildModel(network("graph g = watts_strogatz(6, 2, 0, seed=0)", "rnn(hidden=[g, 4])"), { seed: 0 });
    const graph = model.extractGraph({ order: 2 });
    expect(graph.nodes().slice(0, 3)).toEqual(["input", "rnn1", "rnn2"]);
    expect(graph.getEdgeAttribute("rnn1", "rnn1", "connections")).toBe(12); // a ring of 6, both ways
    expect(graph.getEdgeAttribute("input", "rnn1", "connections")).toBe(18);
    expect(graph.getEdgeAttribute("rnn2", "output", "connections")).toBe(8);
    model.dispose();
  });
});

describe("examples/recurrent_small_world.ds", () => {
  it("keeps 384 of the 4,096 hidden-to-hidden connections of each gate in both layers (9.4%)", async () => {
    const model = await buildModel(readFileSync("examples/recurrent_small_world.ds", "utf8"), { seed: 0 });
    for (const layer of ["lstm1", "lstm2"]) {
      const gates = maskEdges(model, layer, 64, 4);
      for (const gate of gates) expect(gate.size).toBe(384);
      expect(gates[3]).toEqual(gates[0]);
    }
    expect(model.getMask("lstm1.input").every((m) => m === 1)).toBe(true);
    model.dispose();
  });
});

describe("diagnostics for graphs as recurrent connectivity", () => {
  const errors = (source: string): string[] => analyze(source, { fileName: "r.ds" }).diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}`);

  it("says where a graph cannot be a recurrent layer, or is used as a size", () => {
    expect(errors('graph g = file("test/recurrent/fixtures/empty.json")\nnetwork R { input [5, 2] recurrent rnn(hidden=g) output 3 }')).toEqual(["DS2061@2:47"]);
    expect(errors("graph g = scalable(path(3), scale=9)\nnetwork R { input [5, 2] recurrent gru(hidden=[3, g]) output 3 }")).toEqual(["DS2062@2:51"]);
    expect(errors("graph g = path(3)\nnetwork R { input [5, 2] recurrent gru(hidden=[3, h]) output 3 }")).toEqual(["DS2003@2:51"]);
    expect(errors("graph g = path(3)\nnetwork R { input [5, 2] recurrent gru(hidden=R) output 3 }")).toEqual(["DS2005@2:47"]);
    expect(errors("graph g = path(3)\nnetwork R { input [5, g] recurrent gru(hidden=g) output 3 }")).toEqual(["DS2005@2:23"]);
    expect(errors("graph g = path(70000)\nnetwork R { input [5, 2] recurrent rnn(hidden=g) output 3 }")).toEqual(["DS2006@2:47"]);
    const inline = analyze("network R { input [5, 2] recurrent rnn(hidden=[path(3), 4]) output 3 }").diagnostics;
    expect(inline.map((d) => `${d.code}@${d.span.start.column}: ${d.message}`)).toEqual([
      "DS2005@48: 'hidden' expects a hidden size or the name of a graph, but got a call to path(...)",
    ]);
    const hint = analyze("graph g = path(3)\nnetwork R { input g output 3 }").diagnostics[0]!.hint;
    expect(hint).toContain("recurrent rnn(hidden=g)");
  });

  it("does not apply the feed-forward cycle rule to a graph only recurrent layers use", () => {
    const cyclic = 'graph g = file("test/recurrent/fixtures/cycle.json")';
    expect(errors(`${cyclic}\nnetwork R { input [5, 2] recurrent rnn(hidden=g) output 3 }`)).toEqual([]);
    expect(errors(`${cyclic}\nnetwork R { input [5, 2] recurrent rnn(hidden=g) output 3 }\nnetwork S { input 2 structure g output 1 }`)).toEqual(["DS3001@1:1"]);
  });
});
