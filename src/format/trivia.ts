import type { IToken } from "chevrotain";
import { BlockComment, LineComment } from "../../grammar/tokens.js";

/** A comment of the source: the lexer skips them, so the formatter finds them again between the tokens. */
export interface Comment {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Code stands before it on its line: it stays at the end of that line. */
  readonly trailing: boolean;
  /** A blank line separates it from what comes before. */
  readonly blankBefore: boolean;
}

// The gaps between tokens hold only white space and comments (the text lexed
// without errors), so comments are read off the gaps with the lexer's own patterns.
const GAP = new RegExp(`(${(LineComment.PATTERN as RegExp).source})|(${(BlockComment.PATTERN as RegExp).source})|\\r\\n|\\r|\\n|[ \\t]+`, "y");

/** Every comment of a text that lexed without errors, in source order. */
export function commentsOf(text: string, tokens: readonly IToken[]): Comment[] {
  const comments: Comment[] = [];
  let previousEnd = -1;
  const scanGap = (from: number, to: number): void => {
    let onLineWithCode = previousEnd >= 0;
    GAP.lastIndex = from;
    while (GAP.lastIndex < to) {
      const start = GAP.lastIndex;
      const match = GAP.exec(text);
      if (match === null) throw new Error(`unexpected text at offset ${start} between tokens`);
      if (match[1] !== undefined || match[2] !== undefined) {
        comments.push({ text: match[0], start, end: GAP.lastIndex, trailing: onLineWithCode, blankBefore: blankLineBefore(text, start) });
        onLineWithCode = true; // a second comment on the line joins the first
      } else if (/[\r\n]/.test(match[0])) onLineWithCode = false;
    }
  };
  for (const token of tokens) {
    scanGap(previousEnd < 0 ? 0 : previousEnd, token.startOffset);
    previousEnd = token.endOffset! + 1;
  }
  scanGap(previousEnd < 0 ? 0 : previousEnd, text.length);
  return comments;
}

/** Whether the white space just before `offset` holds an empty line (two line breaks or more). */
export function blankLineBefore(text: string, offset: number): boolean {
  let breaks = 0;
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === "\n") breaks += text[i - 1] === "\r" ? 0 : 1;
    else if (c === "\r") breaks++;
    else if (c !== " " && c !== "\t") break;
  }
  return breaks >= 2;
}

/** The comments in source order, handed out once each as the printer passes their positions. */
export class CommentQueue {
  private next = 0;
  constructor(private readonly comments: readonly Comment[]) {}

  /** The comments not yet taken that start before `offset`. */
  takeBefore(offset: number): Comment[] {
    const taken: Comment[] = [];
    while (this.next < this.comments.length && this.comments[this.next]!.start < offset) taken.push(this.comments[this.next++]!);
    return taken;
  }

  /** Whether a comment not yet taken lies between two offsets. */
  anyWithin(start: number, end: number): boolean {
    for (let i = this.next; i < this.comments.length && this.comments[i]!.start < end; i++) if (this.comments[i]!.start >= start) return true;
    return false;
  }
}
