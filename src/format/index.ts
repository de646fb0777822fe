import { dsLexer } from "../../grammar/tokens.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { NO_SPAN, withoutByteOrderMark } from "../diagnostics/span.js";
import { parse } from "../parse/index.js";
import type { Program } from "../parse/ast.js";
import { Printer } from "./print.js";
import { commentsOf, CommentQueue } from "./trivia.js";

export { MAX_WIDTH } from "./print.js";

export interface FormatOptions {
  /** The file the source came from: set on every diagnostic. */
  readonly fileName?: string;
}

export interface FormatResult {
  /** The source in the canonical layout; the source itself when it has errors. */
  readonly text: string;
  /** The syntax errors that made the formatter refuse the source (then `text` is the source, untouched). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * `dsc fmt`: the canonical layout of a `.ds` source (README, "Formatting").
 * Works from the AST, whose spans place the comments the lexer skipped. A
 * byte-order mark is kept, and every line ends the way most lines of the
 * source end (LF on a tie). Never throws; a source with syntax errors is
 * returned as it is, with the errors.
 */
export function format(source: string, options: FormatOptions = {}): FormatResult {
  const withFile = (diagnostics: readonly Diagnostic[]): Diagnostic[] =>
    options.fileName === undefined ? [...diagnostics] : diagnostics.map((d) => ({ ...d, file: options.fileName }));
  try {
    const bom = source.startsWith("\uFEFF") ? "\uFEFF" : "";
    const text = withoutByteOrderMark(source);
    const parsed = parse(text);
    const errors = parsed.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) return { text: source, diagnostics: withFile(errors) };
    const comments = commentsOf(text, dsLexer.tokenize(text).tokens);
    const printer = new Printer(new CommentQueue(comments), text);
    printer.program(parsed.program);
    const formatted = bom + printer.out.toString(dominantLineEnding(text));
    // A guard, not a step: the layout must keep the tree and every comment.
    if (
      !sameMeaning(
        parsed.program,
        comments.map((c) => c.text),
        withoutByteOrderMark(formatted),
      )
    )
      throw new Error("the formatted text would mean something else");
    return { text: formatted, diagnostics: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { text: source, diagnostics: withFile([diagnostic("DS9001", NO_SPAN, [`dsc fmt: ${message}`], "this is a bug in dsc; please report it with the .ds file")]) };
  }
}

/** The line break most lines end with: CRLF, a lone CR or LF (LF when none is commoner). */
export function dominantLineEnding(text: string): string {
  const crlf = text.match(/\r\n/g)?.length ?? 0;
  const cr = (text.match(/\r/g)?.length ?? 0) - crlf;
  const lf = (text.match(/\n/g)?.length ?? 0) - crlf;
  if (crlf > lf && crlf >= cr) return "\r\n";
  if (cr > lf && cr > crlf) return "\r";
  return "\n";
}

function sameMeaning(program: Program, comments: readonly string[], formatted: string): boolean {
  const again = parse(formatted);
  if (again.diagnostics.length > 0) return false;
  const newComments = commentsOf(formatted, dsLexer.tokenize(formatted).tokens).map((c) => c.text.replace(/\r\n|\r/g, "\n"));
  return shape(again.program) === shape(program) && JSON.stringify(newComments) === JSON.stringify(comments.map((c) => c.replace(/\r\n|\r/g, "\n")));
}

/** The tree without its positions. */
export function shape(program: Program): string {
  return JSON.stringify(program, (key, value: unknown) => (key === "span" ? undefined : value));
}
