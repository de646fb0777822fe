import { fileURLToPath } from "node:url";
import { analyze, type AnalyzeResult } from "../index.js";
import type { Diagnostic as DsDiagnostic } from "../diagnostics/diagnostic.js";
import { withoutByteOrderMark } from "../diagnostics/span.js";
import { parse } from "../parse/index.js";
import type { Program } from "../parse/ast.js";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import { LineIndex } from "./positions.js";

/** One version of a document, analysed once and asked many questions. */
export interface Analysis {
  readonly lines: LineIndex;
  /** The text as the compiler reads it: without a byte-order mark, so span offsets index it. */
  readonly source: string;
  /** The syntax tree, recovered as far as the parser could. */
  readonly ast: Program;
  readonly result: AnalyzeResult;
}

export function analyzeDocument(text: string, uri: string): Analysis {
  const fileName = uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
  const result = analyze(text, fileName === undefined ? {} : { fileName });
  return { lines: new LineIndex(text), source: withoutByteOrderMark(text), ast: parse(text).program, result };
}

/** The compiler's diagnostics as LSP's, with their codes; the hint follows the message. */
export function lspDiagnostics(analysis: Analysis): Diagnostic[] {
  return analysis.result.diagnostics.map((d: DsDiagnostic) => ({
    range: analysis.lines.range(d.span),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "dsc",
    message: d.hint === undefined ? d.message : `${d.message}\n${d.hint}`,
  }));
}
