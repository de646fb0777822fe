import type { Comment } from "./trivia.js";

/** Where trailing comments start, at the least: two spaces after the code. */
const COMMENT_GAP = 2;

interface Line {
  indent: number;
  code: string;
  /** Comments at the end of the line (own-line comments are lines without code). */
  comment: string;
  /** Ends in a line comment, so nothing can follow on it. */
  closed: boolean;
}

/** The formatted text as lines, written front to back by the printer. */
export class LineWriter {
  private readonly lines: Line[] = [];

  /** The column the next text starts at, counted in characters from 0. */
  get column(): number {
    const line = this.lines.at(-1);
    return line === undefined ? 0 : line.indent + width(line.code);
  }

  /** The indentation of the line being written. */
  get indent(): number {
    return this.lines.at(-1)?.indent ?? 0;
  }

  text(code: string): void {
    if (this.lines.length === 0) this.lines.push({ indent: 0, code: "", comment: "", closed: false });
    this.lines.at(-1)!.code += code;
  }

  /** Starts a line; `blank` puts one empty line before it, except at the top of the file. */
  newline(indent: number, blank = false): void {
    if (blank && this.lines.length > 0) this.lines.push({ indent: 0, code: "", comment: "", closed: false });
    this.lines.push({ indent, code: "", comment: "", closed: false });
  }

  /** A comment at the end of the current line (a second one on the same line joins the first). */
  trailing(comment: string): void {
    if (this.lines.length === 0) this.lines.push({ indent: 0, code: "", comment: "", closed: false });
    const line = this.lines.at(-1)!;
    line.comment = line.comment === "" ? comment : `${line.comment} ${comment}`;
    line.closed = /^(#|\/\/)/.test(comment);
  }

  /**
   * Places the comments taken before an item: a trailing one goes to the end
   * of the line written last, the others on lines of their own at `indent`.
   * `first` says nothing of the enclosing list was written yet, so a blank
   * line before the comment is dropped there.
   */
  comments(comments: readonly Comment[], indent: number, first: boolean): boolean {
    for (const c of comments) {
      // A line comment runs to the end of its line: what follows it starts a line of its own.
      const last = this.lines.at(-1);
      if (c.trailing && last !== undefined && !last.closed) this.trailing(c.text);
      else {
        this.newline(indent, c.blankBefore && !first);
        this.trailing(c.text);
      }
      first = false;
    }
    return first;
  }

  /**
   * The text, each line ending in `eol`. Trailing comments on consecutive
   * lines of code start in one column, two past the longest code of the run,
   * as gofmt aligns them; a comment spanning lines is never aligned.
   */
  toString(eol: string): string {
    const out: string[] = [];
    for (let i = 0; i < this.lines.length;) {
      let end = i;
      while (end < this.lines.length && aligned(this.lines[end]!)) end++;
      if (end === i) {
        out.push(render(this.lines[i]!, 0, eol));
        i++;
        continue;
      }
      const run = this.lines.slice(i, end);
      const column = Math.max(...run.map((l) => l.indent + width(l.code))) + COMMENT_GAP;
      for (const line of run) out.push(render(line, column, eol));
      i = end;
    }
    return out.length === 0 ? "" : out.join(eol) + eol;
  }
}

function aligned(line: Line): boolean {
  return line.code !== "" && line.comment !== "" && !/[\r\n]/.test(line.comment);
}

function render(line: Line, commentColumn: number, eol: string): string {
  const comment = line.comment.replace(/\r\n|\r|\n/g, eol);
  if (line.code === "") return comment === "" ? "" : " ".repeat(line.indent) + comment;
  const code = " ".repeat(line.indent) + line.code;
  if (comment === "") return code;
  return code + " ".repeat(Math.max(COMMENT_GAP, commentColumn - width(code))) + comment;
}

/** Columns as editors count them: one per code point. */
export function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
