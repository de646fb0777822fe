import { checkClass, DataError, type DataShape, type Dataset, type Labels } from "./dataset.js";

/**
 * Reads a CSV file of numbers, one sample per line:
 *
 * - the `inputSize` features first, then either one class label (an integer
 *   in [0, outputSize)) or `outputSize` target values; the first data row's
 *   width decides which, and a network with one output takes a target value;
 * - cells are separated by commas and may be padded with spaces;
 * - blank lines and lines starting with `#` are skipped;
 * - the first line may be a header: it is one when none of its cells is a number.
 *
 * Errors name the line and, for a bad cell, its column (both from 1).
 */
export function parseCsv(text: string, file: string, shape: DataShape): Dataset {
  const rows: { line: number; cells: Cell[] }[] = [];
  let headerAllowed = true;
  text.split("\n").forEach((raw, index) => {
    const content = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (content.trim() === "" || content.trimStart().startsWith("#")) return;
    const cells = splitCells(content);
    if (headerAllowed && cells.every((cell) => !isNumber(cell.text))) {
      headerAllowed = false;
      return;
    }
    headerAllowed = false;
    rows.push({ line: index + 1, cells });
  });
  if (rows.length === 0) throw new DataError("the file has no data rows", file);

  const width = rows[0]!.cells.length;
  const classWidth = shape.inputSize + 1;
  const targetWidth = shape.inputSize + shape.outputSize;
  if (width !== targetWidth && width !== classWidth) {
    throw new DataError(
      `expected ${classWidth} columns (${shape.inputSize} features and a class label) or ${targetWidth} ` +
        `(${shape.inputSize} features and ${shape.outputSize} targets), found ${width}`,
      file,
      rows[0]!.line,
    );
  }
  const asTargets = width === targetWidth;
  const labelWidth = width - shape.inputSize;
  const features = new Float32Array(rows.length * shape.inputSize);
  const classes = new Int32Array(asTargets ? 0 : rows.length);
  const targets = new Float32Array(asTargets ? rows.length * labelWidth : 0);

  rows.forEach(({ line, cells }, r) => {
    if (cells.length !== width) {
      throw new DataError(`line ${line} has ${cells.length} values, but the first row has ${width}`, file, line);
    }
    cells.forEach((cell, c) => {
      const value = Number(cell.text);
      if (!isNumber(cell.text)) throw new DataError(`'${cell.text}' is not a number`, file, line, cell.column);
      if (c < shape.inputSize) features[r * shape.inputSize + c] = value;
      else if (asTargets) targets[r * labelWidth + c - shape.inputSize] = value;
      else {
        classes[r] = checkClass(value, shape.outputSize, () =>
          new DataError(`label ${cell.text} on line ${line} is not a class of a network with ${shape.outputSize} outputs (0 … ${shape.outputSize - 1})`, file, line, cell.column),
        );
      }
    });
  });
  const labels: Labels = asTargets ? { kind: "targets", width: labelWidth, values: targets } : { kind: "classes", classes };
  return { size: rows.length, featureSize: shape.inputSize, features, labels };
}

interface Cell {
  readonly text: string;
  /** 1-based column of the cell's first non-blank character (or of its start, when empty). */
  readonly column: number;
}

function splitCells(line: string): Cell[] {
  const cells: Cell[] = [];
  let start = 0;
  for (const part of line.split(",")) {
    const lead = part.length - part.trimStart().length;
    cells.push({ text: part.trim(), column: start + lead + 1 });
    start += part.length + 1;
  }
  return cells;
}

function isNumber(text: string): boolean {
  return text !== "" && Number.isFinite(Number(text));
}
