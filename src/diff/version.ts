import { check } from "../check/index.js";
import { resolveLimits } from "../check/limits.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { analyze, type CompileOptions } from "../index.js";
import { parse } from "../parse/index.js";
import type { ProgramVersion } from "./programs.js";

/**
 * Analyzes a `.ds` file for a diff: the kernel plans, and the checked graph
 * declarations analyze() does not hand out (parsing and checking again is
 * cheap beside building the graphs). No version when the file has errors.
 */
export function programVersion(source: string, options: CompileOptions = {}): { readonly version?: ProgramVersion; readonly diagnostics: readonly Diagnostic[] } {
  const analyzed = analyze(source, options);
  if (analyzed.plans === undefined || analyzed.program === undefined) return { diagnostics: analyzed.diagnostics };
  const declarations = check(parse(source).program, resolveLimits(options.limits)).program.graphs;
  return { version: { declarations, program: analyzed.program, plans: analyzed.plans }, diagnostics: analyzed.diagnostics };
}
