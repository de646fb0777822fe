import { DataError, fitsFloat32, isClass, stripByteOrderMark, type DataShape, type Dataset, type Labels } from "./dataset.js";

/**
 * Reads `{ "features": number[][], "labels": number[] | number[][] }`: per
 * sample a row of `inputSize` features and either a class index (an integer
 * in [0, outputSize)) or a row of `outputSize` targets; `labels[0]` decides
 * which, and a network with one output reads plain numbers as targets, as the
 * CSV reader does. Other keys are ignored. Errors in the data name the entry
 * by its path (`features[3][5]`); invalid JSON is placed by line and column.
 */
export function parseJsonData(text: string, file: string, shape: DataShape): Dataset {
  const fail = (message: string): never => {
    throw new DataError(message, file);
  };
  const document = parseDocument(stripByteOrderMark(text), file);
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return fail(`expected an object { "features": [...], "labels": [...] }, found ${describe(document)}`);
  }
  const { features, labels } = document as { features?: unknown; labels?: unknown };
  if (features === undefined) fail('missing "features", the rows of input values');
  if (labels === undefined) fail('missing "labels", a class index or a row of targets per sample');
  if (!Array.isArray(features)) return fail(`"features" must be an array of rows, found ${describe(features)}`);
  if (!Array.isArray(labels)) return fail(`"labels" must be an array, found ${describe(labels)}`);
  if (features.length === 0) fail('"features" has no samples');
  if (labels.length !== features.length) fail(`labels has ${labels.length} entries but features has ${features.length}`);

  const size = features.length;
  const values = new Float32Array(size * shape.inputSize);
  features.forEach((row: unknown, i) => readRow(row, `features[${i}]`, shape.inputSize, `the network takes ${shape.inputSize}`, values, i, fail));
  return { size, featureSize: shape.inputSize, features: values, labels: readLabels(labels, shape.outputSize, fail) };
}

function readLabels(labels: readonly unknown[], outputSize: number, fail: (message: string) => never): Labels {
  const size = labels.length;
  if (Array.isArray(labels[0]) || outputSize === 1) {
    const values = new Float32Array(size * outputSize);
    labels.forEach((label, i) => {
      // One output: a plain number is that output's target.
      const row = outputSize === 1 && !Array.isArray(label) ? [label] : label;
      readRow(row, `labels[${i}]`, outputSize, `the network has ${outputSize} outputs`, values, i, fail);
    });
    return { kind: "targets", width: outputSize, values };
  }
  const classes = new Int32Array(size);
  labels.forEach((label, i) => {
    if (Array.isArray(label)) fail(`labels[${i}] is a row of targets, but labels[0] is a class index`);
    const value = finite(label, `labels[${i}]`, fail);
    if (!isClass(value, outputSize)) fail(`labels[${i}] = ${value} is not a class of a network with ${outputSize} outputs (0 … ${outputSize - 1})`);
    classes[i] = value;
  });
  return { kind: "classes", classes };
}

/** Checks that `row` is `width` numbers and copies them into row `index` of `target`; `expected` says why `width`. */
function readRow(row: unknown, path: string, width: number, expected: string, target: Float32Array, index: number, fail: (message: string) => never): void {
  if (!Array.isArray(row)) return fail(`${path} must be an array of numbers, found ${describe(row)}`);
  if (row.length !== width) fail(`${path} has ${row.length} values; ${expected}`);
  row.forEach((value: unknown, j) => (target[index * width + j] = finite(value, `${path}[${j}]`, fail)));
}

function finite(value: unknown, path: string, fail: (message: string) => never): number {
  if (typeof value !== "number") return fail(`${path} is not a number (found ${describe(value)})`);
  if (!fitsFloat32(value)) return fail(`${path} is too large for a 32-bit float`);
  return value;
}

/** A JSON value, named for a message. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  return String(value);
}

function parseDocument(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 gives the offset for most errors, but not for "Unexpected token" or
    // "Unexpected end"; then the scanner below finds where parsing stopped.
    const given = /at position (\d+)/.exec(message)?.[1];
    const offset = given === undefined ? syntaxErrorOffset(text) : Number(given);
    // The line and column replace V8's position, and its quote of the text.
    const reason = message.replace(/(?: in JSON)? at position \d+.*$/s, "").replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, "");
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    throw new DataError(`invalid JSON: ${reason}`, file, line, column);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * Offset of the first character at which `text` stops being JSON (its length
 * when it ends too early). Iterative, so deep nesting cannot overflow the stack.
 */
function syntaxErrorOffset(text: string): number {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const match = (pattern: RegExp): boolean => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  // Strings and literals are walked a character at a time, so an error inside
  // one is placed on the character, not on where the token began.
  const string = (): boolean => {
    if (text[at] !== '"') return false;
    for (at++; at < text.length;) {
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        at++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) at++;
      else if (!match(ESCAPE)) {
        // Point past the backslash, and past the hex digits of a short \u.
        at++;
        if (text[at] === "u") for (at++; at < text.length && /[0-9a-fA-F]/.test(text[at]!);) at++;
        return false;
      }
    }
    return false;
  };
  const literal = (): boolean => {
    const word = ["true", "false", "null"].find((w) => w[0] === text[at]);
    if (word === undefined) return false;
    for (const letter of word) {
      if (text[at] !== letter) return false;
      at++;
    }
    return true;
  };
  /** An object key and its colon; false where they are not. */
  const key = (): boolean => {
    skipSpace();
    if (!string()) return false;
    skipSpace();
    if (text[at] !== ":") return false;
    at++;
    return true;
  };
  const closers: string[] = [];
  for (;;) {
    // A value starts here.
    skipSpace();
    const c = text[at];
    if (c === "[" || c === "{") {
      at++;
      skipSpace();
      const closer = c === "[" ? "]" : "}";
      if (text[at] === closer) at++;
      else {
        closers.push(closer);
        if (closer === "}" && !key()) return at;
        continue;
      }
    } else if (!string() && !match(NUMBER) && !literal()) return at;
    // A value ended here: close containers, or go on after a comma.
    for (;;) {
      skipSpace();
      const closer = closers.at(-1);
      if (closer === undefined) return at;
      if (text[at] === closer) {
        closers.pop();
        at++;
      } else if (text[at] === ",") {
        at++;
        if (closer === "}" && !key()) return at;
        break;
      } else return at;
    }
  }
}
