import type { Diagnostic } from "../../src/index.js";
import { sourceLines, withoutByteOrderMark } from "../../src/diagnostics/span.js";

/**
 * What must hold of every diagnostic for any input: not an internal error;
 * its span inside the text (offsets count after a byte-order mark); its
 * line and column those of its start offset, by the lexer's line rule; and
 * the line formatDiagnostic prints under the message that very line.
 */
export function checkDiagnostics(source: string, diagnostics: readonly Diagnostic[], format: (d: Diagnostic, source: string) => string): string[] {
  const text = withoutByteOrderMark(source);
  const starts = lineStarts(text);
  const lines = sourceLines(source);
  const problems: string[] = [];
  for (const d of diagnostics) {
    const { start, end } = d.span;
    const where = `${d.code} at ${start.line}:${start.column}`;
    if (d.code === "DS9001") problems.push(`internal error: ${d.message}`);
    if (!(start.offset >= 0 && start.offset <= end.offset && end.offset <= text.length)) {
      problems.push(`${where}: span ${start.offset}..${end.offset} is outside the text (${text.length})`);
      continue;
    }
    const line = lineAt(starts, start.offset);
    if (line + 1 !== start.line || start.offset - starts[line]! + 1 !== start.column) {
      problems.push(`${where}: offset ${start.offset} is at ${line + 1}:${start.offset - starts[line]! + 1}`);
      continue;
    }
    const printed = format(d, source).split("\n")[1];
    if (printed !== `${start.line} | ${lines[start.line - 1]}`) problems.push(`${where}: the printed line is not line ${start.line}`);
  }
  return problems;
}

/** Offsets where lines start: after each CRLF, lone CR or LF. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    if (c === 10 || c === 13) starts.push(i + 1);
  }
  return starts;
}

function lineAt(starts: readonly number[], offset: number): number {
  let [low, high] = [0, starts.length - 1];
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
