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
