import { writeFileAtomically } from "../../runtime/files.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import { format } from "../format/index.js";
import type { CliIo } from "./main.js";
import { readSource } from "./read-source.js";
import { UsageError } from "./usage.js";

/**
 * `dsc fmt FILE... [--check]`: rewrites each file in the canonical layout, or
 * with `--check` names the files that would change (exit 1). A file with
 * syntax errors is refused with them and left as it is; the other files go on.
 */
export async function fmtCommand(files: readonly string[], check: boolean, io: CliIo): Promise<number> {
  if (files.length === 0) throw new UsageError("fmt needs at least one .ds file");
  let status = 0;
  let unchanged = 0;
  for (const file of files) {
    const source = await readSource(file, io);
    if (source === undefined) {
      status = 1;
      continue;
    }
    const result = format(source, { fileName: file });
    if (result.diagnostics.length > 0) {
      for (const d of result.diagnostics) io.err(formatDiagnostic(d, source));
      io.err(`dsc: ${file} not formatted: it has errors`);
      status = 1;
    } else if (result.text === source) {
      unchanged++;
    } else if (check) {
      io.out(`${file}: not in the canonical layout (dsc fmt ${file} rewrites it)`);
      status = 1;
    } else {
      await writeFileAtomically(file, result.text);
      io.out(`${file}: formatted`);
    }
  }
  if (unchanged > 0) io.out(`${unchanged} of ${files.length} file${files.length === 1 ? "" : "s"} already in the canonical layout`);
  return status;
}
