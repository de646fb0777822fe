/** A position in a source text; line and column count from 1, offset from 0. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** The stretch of source a node or diagnostic refers to; `end` is exclusive. */
export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export const NO_SPAN: Span = {
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

/** A line break as the lexer counts them: CRLF, a lone CR or LF. */
export const LINE_BREAK = /\r\n|\r|\n/;

/** A source's lines, split at every line break the lexer counts, without a leading byte-order mark. */
export function sourceLines(text: string): string[] {
  return withoutByteOrderMark(text).split(LINE_BREAK);
}

/** The text without a leading UTF-8 byte-order mark (editors do not show it, so columns do not count it). */
export function withoutByteOrderMark(text: string): string {
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}
