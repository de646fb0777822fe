import { checkClass, DataError, type DataShape, type Dataset, type Labels } from "./dataset.js";

/**
 * Reads `{ "features": number[][], "labels": number[] | number[][] }`: one
 * row of `inputSize` features per sample, and per sample either a class index
 * or a row of `outputSize` targets. Errors name the offending entry by its
 * path (`features[3][5]`), and invalid JSON by line and column.
 */
export function parseJsonData(text: string, file: string, shape: DataShape): Dataset {
  const document = parseDocument(text, file);
  const fail = (message: string): never => {
    throw new DataError(message, file);
  };
  if (document === null || typeof document !== "object" || Array.isArray(document)) fail('expected an object { "features": [...], "labels": [...] }');
  const { features, labels } = document as { features?: unknown; labels?: unknown };
  if (!Array.isArray(features)) return fail('"features" is missing or not an array of rows');
  if (!Array.isArray(labels)) return fail('"labels" is missing or not an array');
  if (features.length === 0) fail('"features" has no rows');
  if (labels.length !== features.length) fail(`"labels" has ${labels.length} entries but "features" has ${features.length}`);

  const size = features.length;
  const values = new Float32Array(size * shape.inputSize);
  features.forEach((row: unknown, i) => {
    readRow(row, `features[${i}]`, shape.inputSize, "the network takes", fail).forEach((v, j) => (values[i * shape.inputSize + j] = v));
  });

  let parsed: Labels;
  if (labels.every((label: unknown) => !Array.isArray(label))) {
    const classes = new Int32Array(size);
    labels.forEach((label: unknown, i) => {
      const value = finite(label, `labels[${i}]`, fail);
      classes[i] = checkClass(value, shape.outputSize, () =>
        new DataError(`labels[${i}] = ${value} is not a class of a network with ${shape.outputSize} outputs (0 … ${shape.outputSize - 1})`, file),
      );
    });
    parsed = { kind: "classes", classes };
  } else {
    const targets = new Float32Array(size * shape.outputSize);
    labels.forEach((row: unknown, i) => {
      readRow(row, `labels[${i}]`, shape.outputSize, "the network has outputs:", fail).forEach((v, j) => (targets[i * shape.outputSize + j] = v));
    });
    parsed = { kind: "targets", width: shape.outputSize, values: targets };
  }
  return { size, featureSize: shape.inputSize, features: values, labels: parsed };
}

function readRow(row: unknown, path: string, width: number, what: string, fail: (message: string) => never): number[] {
  if (!Array.isArray(row)) return fail(`${path} is not an array of numbers`);
  if (row.length !== width) fail(`${path} has ${row.length} values; ${what} ${width}`);
  return row.map((value: unknown, j) => finite(value, `${path}[${j}]`, fail));
}

function finite(value: unknown, path: string, fail: (message: string) => never): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return fail(`${path} is not a number (${JSON.stringify(value)})`);
  return value;
}

function parseDocument(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = /position (\d+)/.exec(message)?.[1];
    if (offset === undefined) throw new DataError(`invalid JSON: ${message}`, file);
    const before = text.slice(0, Number(offset));
    const line = before.split("\n").length;
    const column = Number(offset) - before.lastIndexOf("\n");
    throw new DataError(`invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, "")}`, file, line, column);
  }
}
