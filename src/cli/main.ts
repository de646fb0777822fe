import { parseArgs } from "node:util";
import { compileCommand } from "./compile.js";
import { UsageError } from "./usage.js";

const HELP = `dsc — compiler for .ds files that describe sparse neural networks

Usage:
  dsc compile FILE... [-o DIR]   compile each FILE to DIR/<name>.ts (default: beside FILE)
  dsc --help | --version

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
