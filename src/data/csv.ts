import { DataError, fitsFloat32, isClass, stripByteOrderMark, type DataShape, type Dataset, type Labels } from "./dataset.js";

/**
 * Reads a CSV file of numbers, one sample per line. The rules:
 *
 * - cells are separated by commas; whitespace around a cell is ignored;
 * - a cell is a decimal number (`3`, `-0.5`, `.25`, `1e-3`); empty cells,
 *   `NaN`, `Infinity`, hexadecimal and values too large for a 32-bit float
 *   are refused;
 * - blank lines and lines whose first non-blank character is `#` are skipped;
 * - the first remaining line may be a header, and is one when none of its
 *   cells is a number; a header anywhere else is an error;
 * - a row holds the `inputSize` features, then either one class label (an
 *   integer in [0, outputSize)) or `outputSize` target values. The first data
 *   row's width decides which, and every row must be as wide. A network with
 *   one output reads that one value as a target, not as a class.
 *
 * Errors name the line and, for a bad cell, its column (both from 1).
 */
export function parseCsv(text: string, file: string, shape: DataShape): Dataset {
  const rows = dataRows(text);
  const first = rows[0];
  if (first === undefined) throw new DataError("the file has no data rows", file);

  const width = first.text.split(",").length;
  const classWidth = shape.inputSize + 1;
  const targetWidth = shape.inputSize + shape.outputSize;
  if (width !== targetWidth && width !== classWidth) {
    throw new DataError(
      `expected ${classWidth} columns (${shape.inputSize} features and a class label) or ${targetWidth} ` +
        `(${shape.inputSize} features and ${shape.outputSize} targets), found ${width}`,
      file,
      first.line,
    );
  }
  const asTargets = width === targetWidth;
  const features = new Float32Array(rows.length * shape.inputSize);
  const targets = new Float32Array(asTargets ? rows.length * shape.outputSize : 0);
  const classes = new Int32Array(asTargets ? 0 : rows.length);

  rows.forEach(({ line, text }, row) => {
    const cells = text.split(",");
    if (cells.length !== width) throw new DataError(`line ${line} has ${cells.length} values, but the first row has ${width}`, file, line);
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!.trim();
      const value = parseNumber(cell);
      if (typeof value === "string") throw new DataError(value, file, line, columnOf(cells, c));
      if (c < shape.inputSize) features[row * shape.inputSize + c] = value;
      else if (asTargets) targets[row * shape.outputSize + c - shape.inputSize] = value;
      else if (isClass(value, shape.outputSize)) classes[row] = value;
      else {
        throw new DataError(
          `label ${cell} on line ${line} is not a class of a network with ${shape.outputSize} outputs (0 … ${shape.outputSize - 1})`,
          file,
          line,
          columnOf(cells, c),
        );
      }
    }
  });
  const labels: Labels = asTargets ? { kind: "targets", width: shape.outputSize, values: targets } : { kind: "classes", classes };
  return { size: rows.length, featureSize: shape.inputSize, features, labels };
}

interface Row {
  /** Line number, from 1. */
  readonly line: number;
  /** The line without its line ending. */
  readonly text: string;
}

/** The lines that hold samples: not blank, not a comment, not the header. */
function dataRows(text: string): Row[] {
  const rows: Row[] = [];
  let headerAllowed = true;
  stripByteOrderMark(text)
    .split("\n")
    .forEach((raw, index) => {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const content = line.trim();
      if (content === "" || content.startsWith("#")) return;
      const isHeader = headerAllowed && line.split(",").every((cell) => !DECIMAL.test(cell.trim()));
      headerAllowed = false;
      if (!isHeader) rows.push({ line: index + 1, text: line });
    });
  return rows;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The cell's value, or why it is not one. */
function parseNumber(cell: string): number | string {
  if (cell === "") return "empty cell, expected a number";
  if (!DECIMAL.test(cell)) return `'${cell}' is not a number`;
  const value = Number(cell);
  return fitsFloat32(value) ? value : `'${cell}' is too large for a 32-bit float`;
}

/** 1-based column of cell `c`'s first non-blank character (of its start, when it is empty). */
function columnOf(cells: readonly string[], c: number): number {
  let start = 0;
  for (let i = 0; i < c; i++) start += cells[i]!.length + 1;
  const cell = cells[c]!;
  const lead = cell.trim() === "" ? 0 : cell.length - cell.trimStart().length;
  return start + lead + 1;
}
