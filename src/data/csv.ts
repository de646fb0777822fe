import { CsvError, parse as parseRecords, type Info } from "csv-parse/sync";
import { DataError, fitsFloat32, isClass, stripByteOrderMark, type DataShape, type Dataset, type Labels } from "./dataset.js";

/**
 * Reads a CSV file of numbers, one sample per record, through csv-parse
 * (RFC 4180 quoting: quoted cells, quotes doubled inside them, line breaks
 * inside quotes). The rules:
 *
 * - the delimiter is found on the first line that is not blank or a comment:
 *   a tab if it has one outside quotes, else `;` if it has one, else `,`;
 *   with `;` a decimal comma (`1,5`) is read as a decimal point;
 * - a cell is a decimal number (`3`, `-0.5`, `.25`, `1e-3`), quoted or not;
 *   whitespace around it is ignored; empty cells, `NaN`, `Infinity`,
 *   hexadecimal and values too large for a 32-bit float are refused;
 * - blank lines and lines whose first non-blank character is `#` are skipped;
 *   a byte-order mark is skipped, and columns count from after it;
 * - the first record may be a header, and is one when none of its cells is a
 *   number; a header anywhere else is an error;
 * - a record holds the `inputSize` features, then either one class label (an
 *   integer in [0, outputSize)) or `outputSize` target values. The first data
 *   record's width decides which, and every record must be as wide. A network
 *   with one output reads that one value as a target, not as a class.
 *
 * Every error names the line and column (both from 1) of the cell at fault.
 */
export function parseCsv(text: string, file: string, shape: DataShape): Dataset {
  const { delimiter, rows, first } = records(text, file);

  const width = first.cells.length;
  const classWidth = shape.inputSize + 1;
  const targetWidth = shape.inputSize + shape.outputSize;
  if (width !== targetWidth && width !== classWidth) {
    throw new DataError(
      `expected ${classWidth} columns (${shape.inputSize} features and a class label) or ${targetWidth} ` +
        `(${shape.inputSize} features and ${shape.outputSize} targets), found ${width}`,
      file,
      first.line,
      1,
    );
  }
  const asTargets = width === targetWidth;
  const features = new Float32Array(rows.length * shape.inputSize);
  const targets = new Float32Array(asTargets ? rows.length * shape.outputSize : 0);
  const classes = new Int32Array(asTargets ? 0 : rows.length);
  const fail = (message: string, row: Row, cell: number): never => {
    const at = cellPosition(row, cell, delimiter);
    throw new DataError(message, file, at.line, at.column);
  };

  rows.forEach((row, r) => {
    const { cells, line } = row;
    if (cells.length !== width) fail(`line ${line} has ${cells.length} values, but the first row has ${width}`, row, Math.min(cells.length, width));
    for (let c = 0; c < width; c++) {
      const value = parseNumber(cells[c]!, delimiter === ";");
      if (typeof value === "string") fail(value, row, c);
      else if (c < shape.inputSize) features[r * shape.inputSize + c] = value;
      else if (asTargets) targets[r * shape.outputSize + c - shape.inputSize] = value;
      else if (isClass(value, shape.outputSize)) classes[r] = value;
      else fail(`label ${cells[c]} on line ${line} is not a class of a network with ${shape.outputSize} outputs (0 … ${shape.outputSize - 1})`, row, c);
    }
  });
  const labels: Labels = asTargets ? { kind: "targets", width: shape.outputSize, values: targets } : { kind: "classes", classes };
  return { size: rows.length, featureSize: shape.inputSize, features, labels };
}

/**
 * The features of every record, in the file's order, for `dsc predict`: read
 * by the rules of {@link parseCsv}, except that a record may also hold the
 * features alone; labels or targets after them are read past.
 */
export function parseCsvFeatures(text: string, file: string, shape: DataShape): { size: number; featureSize: number; features: Float32Array } {
  const { delimiter, rows, first } = records(text, file);
  const width = first.cells.length;
  const widths = [shape.inputSize, shape.inputSize + 1, shape.inputSize + shape.outputSize];
  if (!widths.includes(width)) {
    throw new DataError(
      `expected ${shape.inputSize} columns of features (optionally followed by a class label or ${shape.outputSize} targets), found ${width}`,
      file,
      first.line,
      1,
    );
  }
  const features = new Float32Array(rows.length * shape.inputSize);
  rows.forEach((row, r) => {
    const fail = (message: string, cell: number): never => {
      const at = cellPosition(row, cell, delimiter);
      throw new DataError(message, file, at.line, at.column);
    };
    if (row.cells.length !== width) fail(`line ${row.line} has ${row.cells.length} values, but the first row has ${width}`, Math.min(row.cells.length, width));
    for (let c = 0; c < shape.inputSize; c++) {
      const value = parseNumber(row.cells[c]!, delimiter === ";");
      if (typeof value === "string") fail(value, c);
      else features[r * shape.inputSize + c] = value;
    }
  });
  return { size: rows.length, featureSize: shape.inputSize, features };
}

/** The data records of a file (at least one), and the delimiter they were split at. */
function records(text: string, file: string): { delimiter: Delimiter; rows: Row[]; first: Row } {
  const body = stripByteOrderMark(text);
  const delimiter = detectDelimiter(body);
  const rows = dataRows(body, delimiter, file);
  const first = rows[0];
  if (first === undefined) throw new DataError("the file has no data rows", file, 1, 1);
  return { delimiter, rows, first };
}

export type Delimiter = "," | ";" | "\t";

/** The delimiter of the first line that holds data or a header, counting only characters outside quotes. */
export function detectDelimiter(text: string): Delimiter {
  const line = text.split(/\r\n|\r|\n/).find((l) => l.trim() !== "" && !l.trimStart().startsWith("#")) ?? "";
  const unquoted = line.replace(/"(?:[^"]|"")*"?/g, "");
  if (unquoted.includes("\t")) return "\t";
  return unquoted.includes(";") ? ";" : ",";
}

interface Row {
  /** Line of the record's first character, from 1. */
  readonly line: number;
  readonly cells: readonly string[];
  /** The record as written, without the blank and comment lines before it. */
  readonly text: string;
}

type Record = { readonly record: string[]; readonly raw: string; readonly info: Info };

/** The records that hold samples (not the header), each with the line it starts on. */
function dataRows(text: string, delimiter: Delimiter, file: string): Row[] {
  let records: Record[];
  try {
    records = parseRecords(text, {
      delimiter,
      comment: "#",
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      raw: true,
      info: true,
    }) as unknown as Record[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw csvSyntaxError(error, text, delimiter, file);
  }
  let skippedBefore = 0;
  const rows = records.map(({ record, raw, info }) => {
    // `raw` begins with the blank and comment lines skipped since the last record.
    const skipped = info.comment_lines + info.empty_lines;
    const own = dropLines(raw, skipped - skippedBefore);
    skippedBefore = skipped;
    const breaks = (own.replace(/(?:\r\n|\r|\n)$/, "").match(/\r\n|\r|\n/g) ?? []).length;
    return { line: info.lines - breaks, cells: record, text: own };
  });
  const header = rows[0] !== undefined && rows[0].cells.every((cell) => !DECIMAL.test(cell.trim()));
  return header ? rows.slice(1) : rows;
}

function dropLines(text: string, count: number): string {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const match = /\r\n|\r|\n/g;
    match.lastIndex = at;
    const found = match.exec(text);
    if (found === null) return "";
    at = found.index + found[0].length;
  }
  return text.slice(at);
}

/** csv-parse's quoting errors, placed at the start of the cell it names on its line. */
function csvSyntaxError(error: CsvError, text: string, delimiter: Delimiter, file: string): DataError {
  const fields = error as CsvError & { lines?: number; column?: number };
  const line = fields.lines ?? 1;
  const lineText = text.split(/\r\n|\r|\n/)[line - 1] ?? "";
  const at = cellPosition({ line, cells: [], text: lineText }, typeof fields.column === "number" ? fields.column : 0, delimiter);
  const reason = error.message.replace(/ at line \d+/, "").replace(/, value is .*$/, "");
  return new DataError(`malformed CSV: ${reason}`, file, at.line, at.column);
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;

/** The cell's value, or why it is not one. */
function parseNumber(raw: string, decimalComma: boolean): number | string {
  const cell = raw.trim();
  if (cell === "") return "empty cell, expected a number";
  const text = decimalComma && DECIMAL_COMMA.test(cell) ? cell.replace(",", ".") : cell;
  if (!DECIMAL.test(text)) return `'${cell}' is not a number`;
  const value = Number(text);
  return fitsFloat32(value) ? value : `'${cell}' is too large for a 32-bit float`;
}

/**
 * Line and column of cell `c`'s first non-blank character in a record (of
 * the record's end when it has fewer cells): found by walking the record's
 * text with the quoting rules, only when an error needs it.
 */
function cellPosition(row: Row, c: number, delimiter: Delimiter): { line: number; column: number } {
  const text = row.text.replace(/(?:\r\n|\r|\n)$/, "");
  let cell = 0;
  let quoted = false;
  let at = 0;
  for (; at < text.length && cell < c; at++) {
    const ch = text[at];
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) cell++;
  }
  const start = at;
  while (cell === c && at < text.length && (text[at] === " " || text[at] === "\t") && text[at] !== delimiter) at++;
  // A blank cell is placed at its start.
  if (at === text.length || text[at] === delimiter) at = start;
  const before = text.slice(0, at);
  const lines = before.split(/\r\n|\r|\n/);
  const column = lines.length === 1 ? at + 1 : lines.at(-1)!.length + 1;
  return { line: row.line + lines.length - 1, column };
}
