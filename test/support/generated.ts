import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import ts from "typescript";

/** Where tests write generated modules: inside the package, so they resolve `deepstruct/runtime`. */
export const generatedDir = fileURLToPath(new URL("../.generated/", import.meta.url));
export const runtimeEntry = fileURLToPath(new URL("../../runtime/index.ts", import.meta.url));

export function writeGenerated(name: string, code: string): string {
  mkdirSync(generatedDir, { recursive: true });
  const path = join(generatedDir, `${name}.ts`);
  writeFileSync(path, code);
  return path;
}

/** Type-checks files as a user's strict project would; returns the messages (empty when clean). */
export function typeCheck(files: readonly string[]): string[] {
  const program = ts.createProgram([...files], {
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ["node"],
    paths: { "deepstruct/runtime": [runtimeEntry] },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}
