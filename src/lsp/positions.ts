import type { Position as LspPosition, Range } from "vscode-languageserver";
import type { Span } from "../diagnostics/span.js";

/**
 * Our spans and LSP's positions both count UTF-16 code units, but from
 * different places: a span's offset counts from after a byte-order mark
 * (src/diagnostics/span.ts), an LSP position is a 0-based line and character
 * in the editor's text. Going through offsets, with the line starts computed
 * here under the lexer's rule (LF, CRLF or a lone CR), keeps the two agreeing
 * on every line-break style and on astral characters.
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  /** 1 when the text starts with a byte-order mark, which span offsets do not count. */
  readonly bom: number;

  constructor(readonly text: string) {
    this.bom = text.startsWith("\uFEFF") ? 1 : 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) continue; // CRLF: one break, after the LF
      if (c === 0x0a || c === 0x0d) this.starts.push(i + 1);
    }
  }

  /** The LSP position of a text offset (counting the byte-order mark, if any). */
  position(offset: number): LspPosition {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle]! <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: low, character: clamped - this.starts[low]! };
  }

  /** The text offset of an LSP position; a character past its line's end stops at the line break. */
  offset(position: LspPosition): number {
    const start = this.starts[Math.min(position.line, this.starts.length - 1)] ?? 0;
    const next = this.starts[position.line + 1] ?? this.text.length;
    const lineEnd = this.text.slice(start, next).search(/\r\n|\r|\n/);
    const length = lineEnd === -1 ? next - start : lineEnd;
    return position.line >= this.starts.length ? this.text.length : start + Math.min(Math.max(position.character, 0), length);
  }

  /** The span offset (as the compiler counts, without the byte-order mark) of an LSP position. */
  sourceOffset(position: LspPosition): number {
    return Math.max(0, this.offset(position) - this.bom);
  }

  /** The LSP range of a span; an end inside a surrogate pair moves past it, so a range never splits a character. */
  range(span: Span): Range {
    const start = span.start.offset + this.bom;
    let end = Math.max(start, span.end.offset + this.bom);
    if (end > 0 && end < this.text.length && isHighSurrogate(this.text.charCodeAt(end - 1))) end += 1;
    return { start: this.position(start), end: this.position(end) };
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
