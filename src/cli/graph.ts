import { writeFileAtomically } from "../../runtime/files.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import { writeGraphml } from "../elaborate/graph-files.js";
import { connectedLayerPairs, layerSizes, neuronCounts } from "../elaborate/layered.js";
import { analyze } from "../index.js";
import type { CliIo } from "./main.js";
import { readSource } from "./read-source.js";
import { UsageError } from "./usage.js";

/**
 * `dsc graph FILE --graph NAME [-o OUT.graphml]`: builds one graph of the file
 * and prints its vertices, edges, layer sizes and connected layer pairs;
 * writes it as GraphML (default: NAME.graphml in the working directory).
 */
export async function graphCommand(file: string | undefined, name: string | undefined, out: string | undefined, io: CliIo): Promise<number> {
  if (file === undefined) throw new UsageError("graph needs a .ds file");
  const source = await readSource(file, io);
  if (source === undefined) return 1;
  const analyzed = analyze(source, { fileName: file });
  for (const d of analyzed.diagnostics) io.err(formatDiagnostic(d, source));
  const graphs = analyzed.program?.graphs;
  if (graphs === undefined) return 1;
  const names = [...graphs.keys()];
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  const graph = chosen === undefined ? undefined : graphs.get(chosen);
  if (graph === undefined) {
    // A graph only recurrent layers use may have cycles: it is built, but has no layers to print.
    const unlayered = [...(analyzed.program?.recurrentGraphs.keys() ?? [])].filter((n) => !graphs.has(n) && (name === undefined || n === name));
    if (unlayered.length > 0 && (name !== undefined || names.length === 0)) {
      throw new UsageError(`graph '${unlayered[0]}' has a cycle and only recurrent layers use it, so it has no layers to print; dsc extract shows it in a trained model`);
    }
    const known = names.map((n) => `'${n}'`).join(", ") || "none";
    throw new UsageError(name === undefined ? `${file} declares several graphs (${known}); choose one with --graph` : `${file} has no graph '${name}'; its graphs are ${known}`);
  }
  // The file first: a reader that closes the pipe after a few lines must not cost the user the file.
  const target = out ?? `${graph.name}.graphml`;
  await writeFileAtomically(target, writeGraphml(graph));
  const sizes = layerSizes(graph);
  const neurons = neuronCounts(graph);
  const scaled = graph.groupSizes !== undefined;
  io.out(`graph ${graph.name}: ${graph.graph.order} vertices, ${graph.graph.size} edges, ${sizes.length} layers${scaled ? `, ${neurons.reduce((a, b) => a + b, 0)} neurons` : ""}`);
  io.out(`layer sizes: ${sizes.join(" ")}${scaled ? `  (neurons: ${neurons.join(" ")})` : ""}`);
  io.out("connected layers (source -> target: edges):");
  for (const pair of connectedLayerPairs(graph)) io.out(`  ${pair.source} -> ${pair.target}: ${pair.edges}`);
  io.out(`wrote ${target}`);
  return 0;
}
