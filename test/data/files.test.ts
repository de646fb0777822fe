import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, loadData, parseCsv, parseJsonData, shuffleAndSplit, type Dataset } from "../../src/data/index.js";

const shape = { inputSize: 3, outputSize: 2 };

function failure(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error("expected a DataError");
}

describe("CSV data", () => {
  it("reads a header, comments, blank lines, padded cells and class labels", () => {
    const data = parseCsv("a, b, c, label\n# note\n\n1, 2, 3, 1\r\n4,5,6,0\n", "d.csv", shape);
    expect(data.size).toBe(2);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.labels).toEqual({ kind: "classes", classes: Int32Array.from([1, 0]) });
  });

  it("reads outputSize target values when the row is that wide", () => {
    const data = parseCsv("1,2,3,0.5,-0.5\n4,5,6,1e-1,2\n", "d.csv", shape);
    expect(data.labels).toEqual({ kind: "targets", width: 2, values: Float32Array.from([0.5, -0.5, 0.1, 2]) });
  });

  it.each([
    ["a ragged row", "1,2,3,1\n1,2,3\n", "d.csv:2: error: line 2 has 3 values, but the first row has 4"],
    ["a non-numeric cell", "1,2,3,1\n1, x ,3,1\n", "d.csv:2:4: error: 'x' is not a number"],
    ["an empty cell", "1,,3,1\n", "d.csv:1:3: error: '' is not a number"],
    ["a row that fits neither layout", "1,2,3,4,5,6\n", "d.csv:1: error: expected 4 columns (3 features and a class label) or 5 (3 features and 2 targets), found 6"],
    ["a label that is not a class", "1,2,3,1\n1,2,3,2\n", "d.csv:2:7: error: label 2 on line 2 is not a class of a network with 2 outputs (0 … 1)"],
    ["a fractional label", "1,2,3,0.5\n", "d.csv:1:7: error: label 0.5 on line 1 is not a class of a network with 2 outputs (0 … 1)"],
    ["no data", "a,b,c,d\n# nothing\n", "d.csv: error: the file has no data rows"],
  ])("refuses %s", (_, text, message) => {
    expect(failure(() => parseCsv(text, "d.csv", shape)).format()).toBe(message);
  });
});

describe("JSON data", () => {
  it("reads features with class labels or target rows", () => {
    const classes = parseJsonData('{ "features": [[1,2,3],[4,5,6]], "labels": [1, 0] }', "d.json", shape);
    expect(classes.labels).toEqual({ kind: "classes", classes: Int32Array.from([1, 0]) });
    const targets = parseJsonData('{ "features": [[1,2,3]], "labels": [[0.25, 4]] }', "d.json", shape);
    expect(targets.labels).toEqual({ kind: "targets", width: 2, values: Float32Array.from([0.25, 4]) });
  });

  it.each([
    ["invalid JSON, at its line and column", '{\n  features: [[1,2,3]] }', "d.json:2:3: error: invalid JSON: Expected property name or '}'"],
    ["invalid JSON where the parser gives no position", '{ "features": [[1,2,3]], "labels": [1,] }', /^d\.json: error: invalid JSON: Unexpected token/],
    ["a missing key", '{ "features": [[1,2,3]] }', 'd.json: error: "labels" is missing or not an array'],
    ["a row of the wrong length", '{ "features": [[1,2,3],[1,2]], "labels": [0,1] }', "d.json: error: features[1] has 2 values; the network takes 3"],
    ["a value that is not a number", '{ "features": [[1,"2",3]], "labels": [0] }', 'd.json: error: features[0][1] is not a number ("2")'],
    ["labels and features of different counts", '{ "features": [[1,2,3],[4,5,6]], "labels": [0] }', 'd.json: error: "labels" has 1 entries but "features" has 2'],
    ["a label that is not a class", '{ "features": [[1,2,3]], "labels": [7] }', "d.json: error: labels[0] = 7 is not a class of a network with 2 outputs (0 … 1)"],
    ["a target row of the wrong width", '{ "features": [[1,2,3]], "labels": [[1,2,3]] }', "d.json: error: labels[0] has 3 values; the network has outputs: 2"],
  ])("refuses %s", (_, text, message) => {
    const formatted = failure(() => parseJsonData(text, "d.json", shape)).format();
    if (typeof message === "string") expect(formatted).toBe(message);
    else expect(formatted).toMatch(message);
  });
});

describe("loading and splitting", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsc-data-"));

  it("holds out 20% of a file with a fixed seed", async () => {
    const file = join(dir, "ten.csv");
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => `${i},${i},${i},${i % 2}`).join("\n"));
    const a = await loadData(file, shape);
    const b = await loadData(file, shape);
    expect([a.train.size, a.test.size]).toEqual([8, 2]);
    expect(a.test.features).toEqual(b.test.features);
  });

  it("names a missing file, an unknown extension, and MNIST for a network that does not fit it", async () => {
    await expect(loadData(join(dir, "none.csv"), shape)).rejects.toThrow("no such file");
    await expect(loadData(join(dir, "data.txt"), shape)).rejects.toThrow("cannot read '.txt' files; use .csv or .json, or mnist");
    await expect(loadData("mnist", shape)).rejects.toThrow("MNIST digits have 784 pixels and 10 classes, but the network takes 3 inputs and has 2 outputs");
  });

  it("shuffleAndSplit is a seeded permutation: nothing lost, nothing repeated", () => {
    const data: Dataset = {
      size: 50,
      featureSize: 1,
      features: Float32Array.from({ length: 50 }, (_, i) => i),
      labels: { kind: "classes", classes: Int32Array.from({ length: 50 }, (_, i) => i % 2) },
    };
    const { train, test } = shuffleAndSplit(data, 10, 3);
    const all = [...train.features, ...test.features].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(train.features)).not.toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(shuffleAndSplit(data, 10, 3).test.features).toEqual(test.features);
    if (test.labels.kind !== "classes") throw new Error("classes expected");
    test.features.forEach((f, i) => expect((test.labels as { classes: Int32Array }).classes[i]).toBe(f % 2));
  });
});
