import { DataError, fitsFloat32, isClass, stripByteOrderMark, type DataShape, type Dataset, type Labels } from "./dataset.js";
import { sequenceWidth, writeSequence } from "../../runtime/datasets/sequences.js";

/**
 * Reads `{ "features": number[][], "labels": number[] | number[][] }`: per
 * sample a row of `inputSize` features and either a class index (an integer
 * in [0, outputSize)) or a row of `outputSize` targets; `labels[0]` decides
 * which, and a network with one output reads plain numbers as targets, as the
 * CSV reader does. Other keys are ignored. Errors in the data name the entry
 * by its path (`features[3][5]`) and place it by line and column, as they
 * place invalid JSON.
 */
export function parseJsonData(text: string, file: string, shape: DataShape): Dataset {
  const body = stripByteOrderMark(text);
  const document = parseDocument(body, file);
  const fail: Fail = (message, path) => {
    const { line, column } = lineAndColumn(body, locate(body, path));
    throw new DataError(message, file, line, column);
  };
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return fail(`expected an object { "features": [...], "labels": [...] }, found ${describe(document)}`, []);
  }
  const { labels } = document as { labels?: unknown };
  const inputs = readInputs(document as InputKeys, shape, fail);
  if (labels === undefined) fail('missing "labels", a class index or a row of targets per sample', []);
  if (!Array.isArray(labels)) return fail(`"labels" must be an array, found ${describe(labels)}`, ["labels"]);
  if (labels.length !== inputs.size) fail(`labels has ${labels.length} entries but ${inputs.key} has ${inputs.size}`, ["labels"]);
  return { size: inputs.size, featureSize: shape.inputSize, features: inputs.values, labels: readLabels(labels, shape.outputSize, fail) };
}

interface InputKeys {
  readonly features?: unknown;
  readonly sequences?: unknown;
}

/** The samples' inputs: `features` rows of the network's input size, or `sequences` for a recurrent network. */
function readInputs(document: InputKeys, shape: DataShape, fail: Fail): { size: number; values: Float32Array; key: string } {
  if (document.sequences !== undefined) return { ...readSequences(document.sequences, shape, fail), key: "sequences" };
  const { features } = document;
  if (features === undefined) fail(`missing "features", the rows of input values${shape.sequence ? ', or "sequences", a list of steps per sample' : ""}`, []);
  if (!Array.isArray(features)) return fail(`"features" must be an array of rows, found ${describe(features)}`, ["features"]);
  if (features.length === 0) fail('"features" has no samples', ["features"]);
  const values = new Float32Array(features.length * shape.inputSize);
  features.forEach((row: unknown, i) => readRow(row, ["features", i], shape.inputSize, `the network takes ${shape.inputSize}`, values, i, fail));
  return { size: features.length, values, key: "features" };
}

/**
 * `sequences`: per sample a list of 1 to `steps` steps, each a row of the
 * features a step holds (a plain number when it holds one). Shorter samples
 * are padded with zeros, and for a `padded=true` network each step gets its
 * real-step flag: the list's length is the sample's length.
 */
function readSequences(sequences: unknown, shape: DataShape, fail: Fail): { size: number; values: Float32Array } {
  const layout = shape.sequence;
  if (layout === undefined) return fail('"sequences" are for networks with recurrent layers; this one takes "features" rows', ["sequences"]);
  if (!Array.isArray(sequences)) return fail(`"sequences" must be an array of samples, found ${describe(sequences)}`, ["sequences"]);
  if (sequences.length === 0) fail('"sequences" has no samples', ["sequences"]);
  const { steps, features } = layout;
  const values = new Float32Array(sequences.length * sequenceWidth(layout));
  const row = new Float32Array(features);
  sequences.forEach((sample: unknown, i) => {
    const path = ["sequences", i];
    if (!Array.isArray(sample)) return fail(`${pathName(path)} must be an array of steps, found ${describe(sample)}`, path);
    if (sample.length === 0 || sample.length > steps) fail(`${pathName(path)} has ${sample.length} steps; the network takes 1 to ${steps}`, path);
    const read = sample.map((step: unknown, t) => {
      if (features === 1 && !Array.isArray(step)) return [finite(step, [...path, t], fail)];
      readRow(step, [...path, t], features, `each step holds ${features} features`, row, 0, fail);
      return Array.from(row);
    });
    writeSequence(values, i, sample.length, layout, (t, f) => read[t]![f]!);
  });
  return { size: sequences.length, values };
}

/** The `features` rows of a JSON data file, in order, for `dsc predict`; `labels` may be missing and is not read. */
export function parseJsonFeatures(text: string, file: string, shape: DataShape): { size: number; featureSize: number; features: Float32Array } {
  const body = stripByteOrderMark(text);
  const document = parseDocument(body, file);
  const fail: Fail = (message, path) => {
    const { line, column } = lineAndColumn(body, locate(body, path));
    throw new DataError(message, file, line, column);
  };
  if (document === null || typeof document !== "object" || Array.isArray(document)) return fail('expected an object { "features": [[…], …] } with at least one row', []);
  const { size, values } = readInputs(document as InputKeys, shape, fail);
  return { size, featureSize: shape.inputSize, features: values };
}

/** A path into the document: object keys and array indices. */
type Path = readonly (string | number)[];
/** Throws a DataError placed at the element `path` names. */
type Fail = (message: string, path: Path) => never;

const pathName = (path: Path): string => path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");

function readLabels(labels: readonly unknown[], outputSize: number, fail: Fail): Labels {
  const size = labels.length;
  if (Array.isArray(labels[0]) || outputSize === 1) {
    const values = new Float32Array(size * outputSize);
    labels.forEach((label, i) => {
      // One output: a plain number is that output's target.
      if (outputSize === 1 && !Array.isArray(label)) values[i] = finite(label, ["labels", i], fail);
      else readRow(label, ["labels", i], outputSize, `the network has ${outputSize} outputs`, values, i, fail);
    });
    return { kind: "targets", width: outputSize, values };
  }
  const classes = new Int32Array(size);
  labels.forEach((label, i) => {
    if (Array.isArray(label)) fail(`labels[${i}] is a row of targets, but labels[0] is a class index`, ["labels", i]);
    const value = finite(label, ["labels", i], fail);
    if (!isClass(value, outputSize)) fail(`labels[${i}] = ${value} is not a class of a network with ${outputSize} outputs (0 … ${outputSize - 1})`, ["labels", i]);
    classes[i] = value;
  });
  return { kind: "classes", classes };
}

/** Checks that `row` is `width` numbers and copies them into row `index` of `target`; `expected` says why `width`. */
function readRow(row: unknown, path: Path, width: number, expected: string, target: Float32Array, index: number, fail: Fail): void {
  if (!Array.isArray(row)) return fail(`${pathName(path)} must be an array of numbers, found ${describe(row)}`, path);
  if (row.length !== width) fail(`${pathName(path)} has ${row.length} values; ${expected}`, path);
  row.forEach((value: unknown, j) => (target[index * width + j] = finite(value, [...path, j], fail)));
}

function finite(value: unknown, path: Path, fail: Fail): number {
  if (typeof value !== "number") return fail(`${pathName(path)} is not a number (found ${describe(value)})`, path);
  if (!fitsFloat32(value)) return fail(`${pathName(path)} is too large for a 32-bit float`, path);
  return value;
}

/**
 * Offset of the value at `path` in `text`, which is valid JSON: one forward
 * scan that skips what lies before it (for a repeated key, the last one, as
 * JSON.parse keeps). Where the path leaves the document, the offset of the
 * last value it reached.
 */
function locate(text: string, path: Path): number {
  let at = skipSpace(text, 0);
  for (const key of path) {
    const inner = typeof key === "number" ? elementAt(text, at, key) : memberAt(text, at, key);
    if (inner === undefined) return at;
    at = inner;
  }
  return at;
}

function elementAt(text: string, at: number, index: number): number | undefined {
  if (text[at] !== "[") return undefined;
  let next = skipSpace(text, at + 1);
  for (let i = 0; i < index; i++) {
    next = skipSpace(text, skipValue(text, next));
    if (text[next] !== ",") return undefined;
    next = skipSpace(text, next + 1);
  }
  return text[next] === "]" ? undefined : next;
}

function memberAt(text: string, at: number, key: string): number | undefined {
  if (text[at] !== "{") return undefined;
  let found: number | undefined;
  let next = skipSpace(text, at + 1);
  while (text[next] === '"') {
    const keyEnd = skipValue(text, next);
    const name = JSON.parse(text.slice(next, keyEnd)) as string;
    const value = skipSpace(text, skipSpace(text, keyEnd) + 1);
    if (name === key) found = value;
    next = skipSpace(text, skipValue(text, value));
    if (text[next] !== ",") break;
    next = skipSpace(text, next + 1);
  }
  return found;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  return at;
}

/** Offset just past the (valid) value starting at `at`; containers by counting brackets, so nesting costs no stack. */
function skipValue(text: string, at: number): number {
  let depth = 0;
  do {
    const c = text[at];
    if (c === '"') {
      for (at++; text[at] !== '"'; at++) if (text[at] === "\\") at++;
      at++;
    } else if (c === "[" || c === "{") {
      depth++;
      at++;
    } else if (c === "]" || c === "}") {
      depth--;
      at++;
    } else if (depth > 0) at++;
    else while (at < text.length && !",]} \t\n\r".includes(text[at]!)) at++;
  } while (depth > 0 && at < text.length);
  return at;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
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
    const { line, column } = lineAndColumn(text, offset);
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
