import { diagnosticTable, type DiagnosticCode } from "./codes.js";
import type { Span } from "./span.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly span: Span;
  /** What the user can do about it, when there is something useful to say. */
  readonly hint?: string;
  /** The file the span refers to; set by `compile` from its options. */
  readonly file?: string;
}

/** Builds a diagnostic from its table entry; `args` fill the template's `{n}` holes. */
export function diagnostic(code: DiagnosticCode, span: Span, args: readonly (string | number)[] = [], hint?: string): Diagnostic {
  const entry = diagnosticTable[code];
  const message = entry.template
    .replace(/\{(\d+)\}/g, (_, index: string) => String(args[Number(index)] ?? ""))
    .replace(/\{\{/g, "{")
    .replace(/\}\}/g, "}");
  return hint === undefined ? { severity: entry.severity, code, message, span } : { severity: entry.severity, code, message, span, hint };
}

/** Passes report into one of these instead of throwing. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  /** Kept as items are added, so a pass can ask after every declaration without rescanning them all. */
  private errors = 0;

  report(code: DiagnosticCode, span: Span, args: readonly (string | number)[] = [], hint?: string): void {
    this.add(diagnostic(code, span, args, hint));
  }

  // A loop, not push(...diagnostics): a spread of a few hundred thousand arguments overflows the stack.
  add(...diagnostics: readonly Diagnostic[]): void {
    this.addAll(diagnostics);
  }

  addAll(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) {
      this.items.push(d);
      if (d.severity === "error") this.errors++;
    }
  }

  get errorCount(): number {
    return this.errors;
  }

  get hasErrors(): boolean {
    return this.errors > 0;
  }
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
