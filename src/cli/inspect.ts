import { stat } from "node:fs/promises";
import { dirname, basename } from "node:path";
import { loadModel } from "../../runtime/files.js";
import type { BackendChoice, ExtractionOrder } from "../../runtime/index.js";
import { readGraphFile } from "../elaborate/files.js";
import { graphOfIds, inspectGraph, type GraphInspection, type Summary } from "../elaborate/inspect.js";
import type { CliIo } from "./main.js";

/**
 * `dsc inspect PATH [--order N]`: statistics of a graph file (GraphML, GEXF,
 * JSON) or of a saved model's graph (a folder `dsc train` wrote; order 0 by
 * default): density, degrees, layer sizes and source-to-sink path lengths.
 */
export async function inspectCommand(path: string, order: ExtractionOrder, backend: BackendChoice, io: CliIo): Promise<number> {
  const isFolder = (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
  let inspection: GraphInspection;
  let title: string;
  if (isFolder) {
    const model = await loadModel(path, { backend });
    inspection = inspectGraph(model.extractGraph({ order }));
    title = `${model.name} (order ${order})`;
    model.dispose();
  } else {
    const read = readGraphFile(basename(path), dirname(path));
    if (!("ids" in read)) {
      io.err(`${path}: error: ${read.kind === "unknown-node" ? `an edge refers to unknown node '${read.node}'` : read.reason}`);
      return 1;
    }
    inspection = inspectGraph(graphOfIds(read.ids, read.sources, read.targets));
    title = path;
  }
  for (const line of describe(title, inspection)) io.out(line);
  return 0;
}

function describe(title: string, g: GraphInspection): string[] {
  const summary = (s: Summary): string => `min ${s.min}, mean ${s.mean.toFixed(2)}, max ${s.max}`;
  const histogram = g.degreeHistogram
    .map((count, degree) => (count > 0 ? `${degree}:${count}` : ""))
    .filter(Boolean)
    .join(" ");
  return [
    `${title}: ${g.vertices.toLocaleString("en-US")} vertices, ${g.edges.toLocaleString("en-US")} edges, density ${g.density.toPrecision(4)}`,
    `in-degree ${summary(g.inDegree)}; out-degree ${summary(g.outDegree)}`,
    `degree distribution (degree:vertices): ${histogram}`,
    g.layerSizes ? `layer sizes: ${g.layerSizes.join(" ")}` : "layer sizes: (not a DAG)",
    ...(g.pathLengths ? [`source-to-sink path lengths: shortest ${summary(g.pathLengths.shortest)}; longest ${summary(g.pathLengths.longest)}`] : []),
  ];
}
