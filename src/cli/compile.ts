import { mkdir, readFile } from "node:fs/promises";
import { writeFileAtomically } from "../../runtime/files.js";
import { basename, dirname, extname, join } from "node:path";
import { compile, type Limits } from "../index.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

/** `dsc compile FILE... [-o DIR]`: every file is compiled and reported, even after one fails. */
export async function compileCommand(files: readonly string[], outDir: string | undefined, io: CliIo, limits: Partial<Limits> = {}): Promise<number> {
  if (files.length === 0) throw new UsageError("compile needs at least one .ds file");
  let status = 0;
  for (const file of files) {
    let source: string;
    try {
      source = await readFile(file, "utf8");
    } catch (error) {
      io.err(`dsc: cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
      status = 1;
      continue;
    }
    const result = await compile(source, { fileName: file, limits });
    for (const d of result.diagnostics) io.err(formatDiagnostic(d, source));
    if (result.code === undefined) {
      status = 1;
      continue;
    }
    const target = join(outDir ?? dirname(file), `${basename(file, extname(file))}.ts`);
    await mkdir(dirname(target), { recursive: true });
    await writeFileAtomically(target, result.code);
    const networks = (result.plans ?? []).map((plan) => plan.network.name).join(", ");
    io.out(`${file} -> ${target} (${networks || "no networks"})`);
  }
  return status;
}
