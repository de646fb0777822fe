import { extname, join } from "node:path";
import { loadModel, writeFileAtomically } from "../../runtime/files.js";
import type { BackendChoice, ExtractionOrder } from "../../runtime/index.js";
import { GRAPH_FORMATS, writeGraph, type GraphFormat } from "../elaborate/graph-files.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

export interface ExtractArguments {
  readonly weights: string;
  readonly order: ExtractionOrder;
  readonly out?: string;
  readonly threshold?: number;
  readonly includeInputs: boolean;
  readonly includeOutputs: boolean;
  readonly backend: BackendChoice;
}

/**
 * `dsc extract WEIGHTS --order N [--out FILE]`: rebuilds a saved model (the
 * folder `dsc train` writes) and writes its graph at the order asked for, as
 * GraphML, GEXF or JSON by the output's extension (default
 * WEIGHTS/graph-orderN.graphml).
 */
export async function extractCommand(args: ExtractArguments, io: CliIo): Promise<number> {
  const model = await loadModel(args.weights, { backend: args.backend });
  try {
    const graph = model.extractGraph({
      order: args.order,
      ...(args.threshold === undefined ? {} : { threshold: args.threshold }),
      includeInputs: args.includeInputs,
      includeOutputs: args.includeOutputs,
    });
    const out = args.out ?? join(args.weights, `graph-order${args.order}.graphml`);
    await writeFileAtomically(out, writeGraph(graph, formatOf(out), `${model.name}-order${args.order}`));
    io.out(`${model.name}, order ${args.order}: ${graph.order.toLocaleString("en-US")} vertices, ${graph.size.toLocaleString("en-US")} edges -> ${out}`);
    return 0;
  } finally {
    model.dispose();
  }
}

export function formatOf(path: string): GraphFormat {
  const format = extname(path).slice(1).toLowerCase();
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`cannot write '${extname(path) || path}' files; use .graphml, .gexf or .json`);
  }
  return format as GraphFormat;
}
