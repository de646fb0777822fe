import { mkdir } from "node:fs/promises";
// file-io, not files.js: files.js loads the runtime's networks and with them TensorFlow.js.
import { writeFileAtomically } from "../../runtime/file-io.js";
import { basename, dirname, extname, join } from "node:path";
import type { Limits } from "../check/limits.js";
import { analyze, compile, type CompileResult } from "../compile.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import type { CliIo } from "./main.js";
import { readSource } from "./read-source.js";
import { UsageError } from "./usage.js";

/** What `dsc compile` writes: TypeScript modules for the runtime, or PyTorch modules (src/emit-pytorch). */
export type CompileTarget = "typescript" | "pytorch";

export const COMPILE_TARGETS: readonly CompileTarget[] = ["typescript", "pytorch"];

const EXTENSION: Readonly<Record<CompileTarget, string>> = { typescript: ".ts", pytorch: ".py" };

async function compileTo(target: CompileTarget, source: string, fileName: string, limits: Partial<Limits>): Promise<CompileResult> {
  if (target === "typescript") return compile(source, { fileName, limits });
  const analyzed = analyze(source, { fileName, limits });
  if (analyzed.plans === undefined) return { diagnostics: analyzed.diagnostics };
  const { emitPytorch } = await import("../emit-pytorch/index.js");
  return { code: emitPytorch(analyzed.plans, { sourceName: fileName }), plans: analyzed.plans, diagnostics: analyzed.diagnostics };
}

/** `dsc compile FILE... [-o DIR] [--target T]`: every file is compiled and reported, even after one fails. */
export async function compileCommand(
  files: readonly string[],
  outDir: string | undefined,
  io: CliIo,
  limits: Partial<Limits> = {},
  target: CompileTarget = "typescript",
): Promise<number> {
  if (files.length === 0) throw new UsageError("compile needs at least one .ds file");
  let status = 0;
  for (const file of files) {
    const source = await readSource(file, io);
    if (source === undefined) {
      status = 1;
      continue;
    }
    const result = await compileTo(target, source, file, limits);
    for (const d of result.diagnostics) io.err(formatDiagnostic(d, source));
    if (result.code === undefined) {
      status = 1;
      continue;
    }
    const written = join(outDir ?? dirname(file), `${basename(file, extname(file))}${EXTENSION[target]}`);
    await mkdir(dirname(written), { recursive: true });
    await writeFileAtomically(written, result.code);
    const networks = (result.plans ?? []).map((plan) => plan.network.name).join(", ");
    io.out(`${file} -> ${written} (${networks || "no networks"})`);
  }
  return status;
}
