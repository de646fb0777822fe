/**
 * The compiler's pipeline on its own: `analyze` (parse → check → elaborate →
 * lower → fuse) and `compile` (and emit). Kept apart from src/index.ts, whose
 * re-exports load every other pass's module (draw, diff, the PyTorch target,
 * graph files): `dsc compile` imports this file and loads only what it runs.
 */
import { dirname, resolve } from "node:path";
import { check } from "./check/index.js";
import type { CheckedDataset } from "./check/program.js";
import { diagnostic, DiagnosticBag, type Diagnostic } from "./diagnostics/diagnostic.js";
import { NO_SPAN } from "./diagnostics/span.js";
import { elaborate } from "./elaborate/index.js";
import type { ElaboratedProgram } from "./elaborate/program.js";
import { denseWithinLimits, fuse } from "./fuse/index.js";
import type { KernelPlan } from "./fuse/plan.js";
import { lower } from "./lower/index.js";
import { parse } from "./parse/index.js";
import { Budget, resolveLimits, type Limits } from "./check/limits.js";

export interface CompileOptions {
  /** The file the source came from: set on every diagnostic and named in the output's header. */
  readonly fileName?: string;
  /** Sizes past which input is refused with a diagnostic (README, "Limits"); unset ones keep their defaults. */
  readonly limits?: Partial<Limits>;
}

export interface AnalyzeResult {
  /** One plan per network, present when there were no errors. */
  readonly plans?: readonly KernelPlan[];
  /** The built, layered graphs, present when elaboration succeeded. */
  readonly program?: ElaboratedProgram;
  /** The checked `data` declarations (for `loadData`), present when checking succeeded. */
  readonly datasets?: readonly CheckedDataset[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileResult {
  /** The generated TypeScript module, present when there were no errors. */
  readonly code?: string;
  readonly plans?: readonly KernelPlan[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Runs every pass up to the kernel plan: parse → check → elaborate → lower →
 * fuse. Stops after the first pass that reports an error, having collected
 * all the errors of that pass. Never throws for any input.
 */
export function analyze(source: string, options: CompileOptions = {}): AnalyzeResult {
  const diagnostics = new DiagnosticBag();
  const finish = (result: Omit<AnalyzeResult, "diagnostics">): AnalyzeResult => ({
    ...result,
    diagnostics: withFile(diagnostics.items, options.fileName),
  });
  try {
    const budget = new Budget(resolveLimits(options.limits));
    const parsed = parse(source);
    diagnostics.addAll(parsed.diagnostics);
    // Check even when parsing failed: the parser recovers, and name errors
    // in the intact declarations are worth reporting in the same run.
    const checked = check(parsed.program, budget.limits);
    diagnostics.addAll(checked.diagnostics);
    if (diagnostics.hasErrors) return finish({});
    const { datasets } = checked.program;

    // file(...) paths are relative to the .ds file.
    const elaborated = elaborate(checked.program, { baseDir: options.fileName === undefined ? process.cwd() : dirname(resolve(options.fileName)), budget });
    diagnostics.addAll(elaborated.diagnostics);
    if (diagnostics.hasErrors) return finish({ datasets });

    const lowered = lower(elaborated.program, budget);
    diagnostics.addAll(lowered.diagnostics);
    if (diagnostics.hasErrors) return finish({ program: elaborated.program, datasets });
    const plans = fuse(lowered.networks);
    if (!denseWithinLimits(plans, elaborated.program.networks, budget.limits, diagnostics)) return finish({ program: elaborated.program, datasets });
    return finish({ program: elaborated.program, plans, datasets });
  } catch (error) {
    diagnostics.add(internalError(error));
    return finish({});
  }
}

/** Compiles `.ds` source text to a TypeScript module. Never throws for any input. */
export async function compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  const analyzed = analyze(source, options);
  if (analyzed.plans === undefined) return { diagnostics: analyzed.diagnostics };
  try {
    const sourceName = options.fileName;
    // Loaded on first use: ts-morph and prettier take a second to load, which commands that only analyze never pay.
    const { emit } = await import("./emit/index.js");
    const code = await emit(analyzed.plans, sourceName === undefined ? {} : { sourceName });
    return { code, plans: analyzed.plans, diagnostics: analyzed.diagnostics };
  } catch (error) {
    return { diagnostics: withFile([...analyzed.diagnostics, internalError(error)], options.fileName) };
  }
}

function internalError(error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  return diagnostic("DS9001", NO_SPAN, [message], "this is a bug in dsc; please report it with the .ds file");
}

function withFile(diagnostics: readonly Diagnostic[], file: string | undefined): Diagnostic[] {
  return file === undefined ? [...diagnostics] : diagnostics.map((d) => ({ ...d, file }));
}
