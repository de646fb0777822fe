import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
// ts-morph carries the TypeScript compiler API (the `typescript` package we type-check with is the native build, which has none).
import { Project, ts } from "ts-morph";

/** Where tests write generated modules: inside the package, so they resolve `@deepstruct/runtime`. */
export const generatedDir = fileURLToPath(new URL("../.generated/", import.meta.url));
export const runtimeEntry = fileURLToPath(new URL("../../runtime/index.ts", import.meta.url));

export function writeGenerated(name: string, code: string): string {
  mkdirSync(generatedDir, { recursive: true });
  const path = join(generatedDir, `${name}.ts`);
  writeFileSync(path, code);
  return path;
}

/**
 * Type-checks files as a user's strict project would; returns the messages
 * (empty when clean). Module resolution is a bundler's: ts-morph creates the
 * source files it reads without their package's module format, so under
 * NodeNext it would take the runtime's ES modules for CommonJS. A NodeNext
 * app against the installed package is test/package/app.test.ts's job.
 */
export function typeCheck(files: readonly string[]): string[] {
  // ts-morph's Project brings the standard library declarations with it.
  const project = new Project({
    compilerOptions: {
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      module: ts.ModuleKind.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: ["node"],
      paths: { "@deepstruct/runtime": [runtimeEntry] },
    },
    skipAddingFilesFromTsConfig: true,
  });
  project.addSourceFilesAtPaths([...files]);
  return project.getPreEmitDiagnostics().map((d) => {
    const file = d.getSourceFile();
    const where = file ? `${file.getFilePath()}:${d.getLineNumber() ?? "?"}` : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, "\n")}`;
  });
}
