/**
 * A child process that compiles the inputs it is sent, one at a time, and
 * answers with what it found. It runs apart from the pool so that a crash,
 * an abort or memory running out takes down only this process, and a hang
 * can be ended by killing it.
 */
import { resolve } from "node:path";
import { compile, formatDiagnostic } from "../../src/index.js";
import { checkDiagnostics } from "./properties.js";

export interface WorkerReply {
  readonly id: number;
  readonly diagnostics: number;
  readonly internal: number;
  /** Property violations, each a sentence. */
  readonly problems: readonly string[];
  readonly ms: number;
  readonly rssBytes: number;
}

// file(...) paths resolve against the repository, where the fuzzer's paths point.
const fileName = resolve(import.meta.dirname, "../../fuzz-input.ds");

process.on("message", (message: { id: number; source: string }) => {
  void run(message).then((reply) => process.send?.(reply));
});
// Modules loaded: the pool starts inputs, and their time budgets, from here (pool.ts, READY).
process.send?.("ready");

async function run({ id, source }: { id: number; source: string }): Promise<WorkerReply> {
  const started = performance.now();
  const problems: string[] = [];
  let diagnostics = 0;
  let internal = 0;
  try {
    const result = await compile(source, { fileName });
    diagnostics = result.diagnostics.length;
    internal = result.diagnostics.filter((d) => d.code === "DS9001").length;
    problems.push(...checkDiagnostics(source, result.diagnostics, formatDiagnostic));
    if (result.code === undefined && !result.diagnostics.some((d) => d.severity === "error")) problems.push("no code and no error");
  } catch (error) {
    problems.push(`exception escaped compile(): ${error instanceof Error ? error.message : String(error)}`);
  }
  return { id, diagnostics, internal, problems, ms: performance.now() - started, rssBytes: process.memoryUsage().rss };
}
