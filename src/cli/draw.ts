import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { loadModel, writeFileAtomically } from "../../runtime/files.js";
import type { ExtractionOrder, NetworkSpec } from "../../runtime/index.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import { drawNetwork, type Drawing } from "../draw/index.js";
import { analyze, networkSpec } from "../index.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

export interface DrawArguments {
  readonly path: string;
  readonly network?: string;
  readonly out?: string;
  readonly order?: ExtractionOrder;
}

const VIEWS = ["neurons", "neuron groups", "layers"] as const;

/**
 * `dsc draw FILE [--network N] [-o OUT.svg]` writes a picture of each network
 * of FILE (or of N) to `<network>.svg` in the working directory, or OUT;
 * `dsc draw RUN` pictures a run folder's trained model, coloured by weight.
 */
export async function drawCommand(args: DrawArguments, io: CliIo): Promise<number> {
  const info = await stat(args.path).catch(() => undefined);
  if (info === undefined) {
    io.err(`dsc: cannot read ${args.path}: no such file`);
    return 1;
  }
  const order = args.order === undefined ? {} : { order: args.order };
  if (info.isDirectory()) {
    if (args.network !== undefined) throw new UsageError("--network is for .ds files; a run folder holds one network");
    const model = await loadModel(args.path, { backend: "cpu" });
    try {
      await write(await drawNetwork(model, order), args.out ?? `${model.name}.svg`, io);
    } finally {
      model.dispose();
    }
    return 0;
  }
  const specs = await specsOf(args, io);
  if (specs === undefined) return 1;
  if (args.out !== undefined && specs.length > 1)
    throw new UsageError(`${basename(args.path)} declares ${specs.length} networks; choose one with --network to write -o ${args.out}`);
  for (const spec of specs) await write(await drawNetwork(spec, order), args.out ?? `${spec.name}.svg`, io);
  return 0;
}

/** The specs of FILE's networks (or of --network), undefined after reporting errors. */
async function specsOf(args: DrawArguments, io: CliIo): Promise<NetworkSpec[] | undefined> {
  const source = await readFile(args.path, "utf8");
  const analyzed = analyze(source, { fileName: args.path });
  for (const d of analyzed.diagnostics) io.err(formatDiagnostic(d, source));
  if (analyzed.plans === undefined) return undefined;
  const plans = args.network === undefined ? analyzed.plans : analyzed.plans.filter((p) => p.network.name === args.network);
  if (plans.length === 0) {
    const known = analyzed.plans.map((p) => p.network.name).join(", ") || "(none)";
    io.err(`dsc: ${args.path} has no network '${args.network}'; its networks are ${known}`);
    return undefined;
  }
  return plans.map((plan) => networkSpec(plan));
}

async function write(drawing: Drawing, out: string, io: CliIo): Promise<void> {
  await writeFileAtomically(out, drawing.svg);
  io.out(`wrote ${out} (${VIEWS[drawing.order]})`);
}
