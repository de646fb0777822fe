import type { IToken } from "chevrotain";
import { dsLexer } from "../../grammar/tokens.js";
import { callee, innerContext, settingWord, type CallContext } from "./vocabulary.js";

/**
 * What may be written at the cursor, read from the tokens before it — not
 * from the syntax tree, because while a line is being typed it rarely
 * parses. The scan keeps a stack of the brackets still open, each frame
 * knowing what its next word would be.
 */
export type CursorContext =
  | { readonly kind: "declaration" }
  | { readonly kind: "callee"; readonly context: CallContext }
  | { readonly kind: "setting" }
  | { readonly kind: "settingValue"; readonly key: string }
  | { readonly kind: "argument"; readonly callee: string; readonly context: CallContext; readonly given: readonly string[]; readonly parameter?: string }
  | { readonly kind: "argumentValue"; readonly callee: string; readonly context: CallContext; readonly parameter?: string }
  | { readonly kind: "none" };

type Frame =
  | { kind: "top"; declaration?: "graph" | "data" | "network"; named: boolean; valueContext?: CallContext }
  | { kind: "network"; key?: IToken; valueDone: boolean }
  | { kind: "call"; callee: string; context: CallContext; given: string[]; named: boolean; index: number; parameter?: string; atStart: boolean; afterEquals: boolean }
  | { kind: "list"; context?: CallContext }
  | { kind: "edges" };

/** The context at `offset` of `text` (offsets as the compiler counts, without a byte-order mark). */
export function cursorContext(text: string, offset: number): CursorContext {
  const wordStart = offset - (/[A-Za-z0-9_]*$/.exec(text.slice(0, offset))?.[0].length ?? 0);
  const before = text.slice(0, wordStart);
  const { tokens } = dsLexer.tokenize(before);
  if (insideCommentOrString(before, tokens.at(-1))) return { kind: "none" };
  const stack: Frame[] = [{ kind: "top", named: false }];
  tokens.forEach((token, i) => step(stack, token, tokens[i - 1], tokens[i + 1]));
  return contextOf(stack.at(-1)!, lineOf(before));
}

function step(stack: Frame[], token: IToken, previous: IToken | undefined, next: IToken | undefined): void {
  const frame = stack.at(-1)!;
  const type = token.tokenType.name;
  if (type === "LParen") {
    const name = previous?.tokenType.name === "Identifier" ? previous.image : "";
    const context = callContext(frame);
    stack.push({ kind: "call", callee: name, context, given: [], named: false, index: 0, atStart: true, afterEquals: false, ...firstParameter(context, name) });
  } else if (type === "RParen" || type === "RBracket" || type === "RBrace") {
    if (stack.length > 1) stack.pop();
    valueDone(stack.at(-1)!);
  } else if (type === "LBracket") {
    const context = valueContext(frame);
    stack.push({ kind: "list", ...(context === undefined ? {} : { context }) });
  } else if (type === "LBrace") {
    stack.push(frame.kind === "top" && frame.declaration === "network" ? { kind: "network", valueDone: true } : { kind: "edges" });
  } else if (frame.kind === "top") {
    topWord(frame, token);
  } else if (frame.kind === "network") {
    networkWord(frame, token, next);
  } else if (frame.kind === "call") {
    callWord(frame, token, next);
  }
}

/** In a network body a name starts a setting; a value other than a call's name ends it. */
function networkWord(frame: Extract<Frame, { kind: "network" }>, token: IToken, next: IToken | undefined): void {
  if (frame.valueDone) {
    if (token.tokenType.name === "Identifier") {
      frame.key = token;
      frame.valueDone = false;
    }
  } else if (next?.tokenType.name !== "LParen") {
    frame.valueDone = true;
  }
}

function callWord(frame: Extract<Frame, { kind: "call" }>, token: IToken, next: IToken | undefined): void {
  const type = token.tokenType.name;
  if (type === "Comma") {
    if (frame.parameter !== undefined && !frame.given.includes(frame.parameter)) frame.given.push(frame.parameter);
    frame.index += 1;
    frame.atStart = true;
    frame.afterEquals = false;
    // Positional arguments name their parameter by place, until the first named one.
    const positional = !frame.named ? callee(frame.context, frame.callee)?.parameters[frame.index] : undefined;
    if (positional === undefined) delete frame.parameter;
    else frame.parameter = positional;
  } else if (type === "Identifier" && frame.atStart && next?.tokenType.name === "Equals") {
    frame.given.push(token.image);
    frame.named = true;
    frame.parameter = token.image;
    frame.atStart = false;
  } else if (type === "Equals") {
    frame.afterEquals = true;
  } else {
    frame.atStart = false;
    frame.afterEquals = false;
  }
}

function topWord(frame: Extract<Frame, { kind: "top" }>, token: IToken): void {
  const type = token.tokenType.name;
  if (type === "Graph" || type === "Data" || type === "Network") {
    frame.declaration = type.toLowerCase() as "graph" | "data" | "network";
    frame.named = false;
    delete frame.valueContext;
  } else if (type === "Identifier" && frame.declaration !== undefined && !frame.named) {
    frame.named = true;
  } else if (type === "Equals" && frame.named && frame.declaration !== "network") {
    frame.valueContext = frame.declaration === "data" ? "data" : "graph";
  } else if (frame.valueContext !== undefined && type !== "Identifier" && type !== "Edges") {
    valueDone(frame);
  }
}

function valueDone(frame: Frame): void {
  if (frame.kind === "network") frame.valueDone = true;
  // A bracket closed at the top level ends its declaration.
  if (frame.kind === "top") {
    delete frame.declaration;
    delete frame.valueContext;
  }
  if (frame.kind === "call") {
    frame.atStart = false;
    frame.afterEquals = false;
  }
}

/** The context of a call opened in this frame. */
function callContext(frame: Frame): CallContext {
  return valueContext(frame) ?? "graph";
}

function valueContext(frame: Frame): CallContext | undefined {
  if (frame.kind === "top") return frame.valueContext;
  if (frame.kind === "network") {
    const values = frame.key === undefined ? undefined : settingWord(frame.key.image)?.values;
    return typeof values === "string" && values !== "graphs" ? values : undefined;
  }
  if (frame.kind === "call") return innerContext(frame.context, frame.parameter);
  return frame.kind === "list" ? frame.context : undefined;
}

function firstParameter(context: CallContext, name: string): { parameter?: string } {
  const first = callee(context, name)?.parameters[0];
  return first === undefined ? {} : { parameter: first };
}

function contextOf(frame: Frame, cursorLine: number): CursorContext {
  switch (frame.kind) {
    case "top":
      if (frame.valueContext !== undefined) return { kind: "callee", context: frame.valueContext };
      return frame.declaration === undefined ? { kind: "declaration" } : { kind: "none" };
    case "network":
      // A key with no value yet on an earlier line: the user has moved on to the next setting.
      if (frame.valueDone || frame.key === undefined || frame.key.startLine! < cursorLine) return { kind: "setting" };
      return { kind: "settingValue", key: frame.key.image };
    case "call": {
      const base = { callee: frame.callee, context: frame.context, ...(frame.parameter === undefined ? {} : { parameter: frame.parameter }) };
      if (frame.afterEquals) return { kind: "argumentValue", ...base };
      return frame.atStart ? { kind: "argument", ...base, given: frame.given } : { kind: "none" };
    }
    case "list":
      return frame.context === undefined ? { kind: "none" } : { kind: "callee", context: frame.context };
    case "edges":
      return { kind: "none" };
  }
}

/** Inside a comment or an unterminated string nothing is completed. */
function insideCommentOrString(before: string, last: IToken | undefined): boolean {
  if (last?.tokenType.name === "UnterminatedString" && last.endOffset! + 1 === before.length) return true;
  const gap = before.slice(last === undefined ? 0 : last.endOffset! + 1).replace(/\/\*[\s\S]*?\*\//g, "");
  if (gap.includes("/*")) return true;
  const lastLine = gap.split(/\r\n|\r|\n/).at(-1) ?? "";
  return lastLine.includes("#") || lastLine.includes("//");
}

/** The 1-based line (as chevrotain counts) the text's end is on. */
function lineOf(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}
