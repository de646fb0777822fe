/**
 * The networkx-compatible random graph generators against networkx itself,
 * in the same run: each call timed here (median of 5 after one warm-up) and
 * by a Python process running networkx on the same arguments and seed, the
 * same way (`python3`, or $PYTHON; skipped with a note where networkx cannot
 * be imported). The edge counts are compared too: the graphs are the same.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGraphFile } from "../src/elaborate/files.js";
import { barabasiAlbertGraph, fastGnpRandomGraph, gnpRandomGraph, newmanWattsStrogatzGraph, wattsStrogatzGraph } from "../src/elaborate/networkx.js";
import type { GeneratedGraph } from "../src/elaborate/generators.js";
import { medianSeconds, row } from "./timing.js";

const CASES: readonly { readonly label: string; readonly ours: () => GeneratedGraph; readonly python: string }[] = [
  { label: "watts_strogatz(10000, 4, 0.5, seed=1)", ours: () => wattsStrogatzGraph(10000, 4, 0.5, 1), python: "nx.watts_strogatz_graph(10000, 4, 0.5, seed=1)" },
  {
    label: "newman_watts_strogatz(10000, 4, 0.5, seed=1)",
    ours: () => newmanWattsStrogatzGraph(10000, 4, 0.5, 1),
    python: "nx.newman_watts_strogatz_graph(10000, 4, 0.5, seed=1)",
  },
  { label: "erdos_renyi(2000, 0.01, seed=1)", ours: () => gnpRandomGraph(2000, 0.01, 1), python: "nx.gnp_random_graph(2000, 0.01, seed=1)" },
  { label: "erdos_renyi(100000, 0.0001, seed=1, fast=true)", ours: () => fastGnpRandomGraph(100000, 0.0001, 1), python: "nx.fast_gnp_random_graph(100000, 0.0001, seed=1)" },
  { label: "barabasi_albert(10000, 3, seed=1)", ours: () => barabasiAlbertGraph(10000, 3, 1), python: "nx.barabasi_albert_graph(10000, 3, seed=1)" },
];

/** networkx's seconds and edge counts per case, or why they could not be measured. */
function networkxTimes(): { seconds: number; edges: number }[] | string {
  const script = [
    "import json, time, networkx as nx",
    "out = []",
    ...CASES.map(
      (c) =>
        `f = lambda: ${c.python}\ng = f()\nts = []\nfor _ in range(5):\n    t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)\nout.append({'seconds': sorted(ts)[2], 'edges': g.number_of_edges()})`,
    ),
    "print(json.dumps({'networkx': nx.__version__, 'out': out}))",
  ].join("\n");
  const python = process.env.PYTHON ?? "python3";
  const result = spawnSync(python, ["-c", script], { encoding: "utf8" });
  if (result.status !== 0) return `networkx not measured: ${python} could not run it (${(result.stderr || String(result.error)).trim().split("\n").at(-1)})`;
  const parsed = JSON.parse(result.stdout) as { networkx: string; out: { seconds: number; edges: number }[] };
  console.error(`generators: networkx ${parsed.networkx}`);
  return parsed.out;
}

export function benchGenerators(): string[] {
  const peer = networkxTimes();
  const lines = [row(["call", "edges", "ours (s)", "networkx (s)", "networkx / ours"]), row(["---", "---", "---", "---", "---"])];
  CASES.forEach((c, i) => {
    const edges = c.ours().sources.length;
    const ours = medianSeconds(() => void c.ours());
    const theirs = typeof peer === "string" ? undefined : peer[i]!;
    if (theirs !== undefined && theirs.edges !== edges) throw new Error(`bench: ${c.label} has ${edges} edges here, ${theirs.edges} in networkx`);
    lines.push(row([c.label, edges, ours, theirs?.seconds ?? "—", theirs ? `${(theirs.seconds / ours).toFixed(1)}×` : "—"]));
  });
  if (typeof peer === "string") lines.push("", peer);
  return [...lines, "", ...graphmlReading()];
}

/** Reading a 10,000-vertex GraphML file networkx wrote: `file(...)`'s reader against nx.read_graphml, same file, same run. */
function graphmlReading(): string[] {
  const path = join(mkdtempSync(join(tmpdir(), "dsc-graphml-")), "ws10k.graphml");
  const script = [
    "import json, sys, time, networkx as nx",
    `nx.write_graphml(nx.watts_strogatz_graph(10000, 4, 0.5, seed=1), ${JSON.stringify(path)})`,
    "nx.read_graphml(sys.argv[1])",
    "ts = []",
    `for _ in range(5):\n    t = time.perf_counter(); nx.read_graphml(${JSON.stringify(path)}); ts.append(time.perf_counter() - t)`,
    "print(sorted(ts)[2])",
  ].join("\n");
  const result = spawnSync(process.env.PYTHON ?? "python3", ["-c", script, path], { encoding: "utf8" });
  if (result.status !== 0) return ["GraphML reading not measured: networkx could not write the file"];
  const theirs = Number(result.stdout.trim());
  const ours = medianSeconds(() => {
    const read = readGraphFile(path, "/");
    if (!("sources" in read) || read.sources.length !== 20000) throw new Error("bench: the GraphML file did not read back whole");
  });
  return [
    row(["GraphML file (written by networkx)", "ours: file(...) (s)", "networkx: read_graphml (s)", "networkx / ours"]),
    row(["---", "---", "---", "---"]),
    row(["watts_strogatz(10000, 4, 0.5, seed=1), 20,000 edges", ours, theirs, `${(theirs / ours).toFixed(1)}×`]),
  ];
}
