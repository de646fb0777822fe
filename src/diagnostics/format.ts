import type { Diagnostic } from "./diagnostic.js";
import { sourceLines } from "./span.js";

/**
 * `file:line:col: error CODE: message`, then the source line with a caret
 * under the span, then the hint — the form compilers and editors understand.
 */
export function formatDiagnostic(d: Diagnostic, source: string): string {
  const { line, column } = d.span.start;
  const where = `${d.file ?? "<input>"}:${line}:${column}`;
  const lines = [`${where}: ${d.severity} ${d.code}: ${d.message}`];
  const text = sourceLines(source)[line - 1];
  if (text !== undefined) {
    const gutter = String(line);
    const end = d.span.end.line === line ? d.span.end.column : text.length + 1;
    // Columns count UTF-16 units; the caret line keeps the line's tabs and gives every character (astral ones too) one place.
    const before = [...text.slice(0, Math.max(0, column - 1))].map((c) => (c === "\t" ? "\t" : " ")).join("");
    const width = Math.max(1, [...text.slice(column - 1, end - 1)].length);
    lines.push(`${gutter} | ${text}`);
    lines.push(`${" ".repeat(gutter.length)} | ${before}${"^".repeat(width)}`);
  }
  if (d.hint !== undefined) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}
