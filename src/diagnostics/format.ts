import type { Diagnostic } from "./diagnostic.js";

/**
 * `file:line:col: error CODE: message`, then the source line with a caret
 * under the span, then the hint — the form compilers and editors understand.
 */
export function formatDiagnostic(d: Diagnostic, source: string): string {
  const { line, column } = d.span.start;
  const where = `${d.file ?? "<input>"}:${line}:${column}`;
  const lines = [`${where}: ${d.severity} ${d.code}: ${d.message}`];
  const text = source.split(/\r?\n/)[line - 1];
  if (text !== undefined) {
    const gutter = String(line);
    const sameLine = d.span.end.line === line;
    const width = sameLine ? Math.max(1, d.span.end.column - column) : Math.max(1, text.length - column + 1);
    lines.push(`${gutter} | ${text}`);
    lines.push(`${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, column - 1))}${"^".repeat(width)}`);
  }
  if (d.hint !== undefined) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}
