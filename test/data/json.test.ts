import { describe, expect, it } from "vitest";
import { parseJsonData, type DataError } from "../../src/data/index.js";
import { dataError } from "../support/data.js";

const shape = { inputSize: 3, outputSize: 2 };

const parse = (text: string): DataError => dataError(() => parseJsonData(text, "d.json", shape));

describe("parseJsonData", () => {
  it("reads features with class labels", () => {
    const data = parseJsonData('{ "features": [[1,2,3],[4,5,-6.5]], "labels": [1, 0], "note": "ignored" }', "d.json", shape);
    expect(data.size).toBe(2);
    expect(data.featureSize).toBe(3);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, -6.5]);
    expect(data.labels).toEqual({ kind: "classes", classes: Int32Array.from([1, 0]) });
  });

  it("reads features with rows of targets", () => {
    const data = parseJsonData('{ "features": [[1,2,3],[0,0,0]], "labels": [[0.25, 4], [-1, 0]] }', "d.json", shape);
    expect(data.labels).toEqual({ kind: "targets", width: 2, values: Float32Array.from([0.25, 4, -1, 0]) });
  });

  it("reads plain numbers as targets of a single-output network", () => {
    const data = parseJsonData('{ "features": [[1],[2]], "labels": [0.5, [7]] }', "d.json", { inputSize: 1, outputSize: 1 });
    expect(data.labels).toEqual({ kind: "targets", width: 1, values: Float32Array.from([0.5, 7]) });
  });

  it("places invalid JSON at the parser's line and column", () => {
    const error = parse('{\n  "features": [[1,2,3]],\n  labels: [0] }');
    expect([error.file, error.line, error.column]).toEqual(["d.json", 3, 3]);
    // V8's wording, without its "at position N" (the line and column say that).
    expect(error.message).toBe("invalid JSON: Expected double-quoted property name");
  });

  it("places invalid JSON where the parser gives no position: a trailing comma, a quote, a cut-off literal", () => {
    const error = parse('{ "features": [[1,2,3]],\n  "labels": [1,] }');
    expect(error.format()).toBe("d.json:2:16: error: invalid JSON: Unexpected token ']'");
    expect(parse('{ "features": [[1,2,3]],\n  "labels": [\'a\'] }').format()).toBe("d.json:2:14: error: invalid JSON: Unexpected token '''");
    expect(parse('{ "features": [[1,2,3]],\n  "labels": [1], "done": tru }').format()).toBe("d.json:2:29: error: invalid JSON: Unexpected token ' '");
    expect(parse('{ "features": [[1,2,3]], "labels": [1] }\n\n  x').format()).toBe("d.json:3:3: error: invalid JSON: Unexpected non-whitespace character after JSON");
  });

  it("places JSON that ends too early at its end", () => {
    expect(parse('{ "features": [[1,2,3]],\n "labels": [1').format()).toBe("d.json:2:14: error: invalid JSON: Expected ',' or ']' after array element");
    expect(parse('{ "features": [[1,2,3]],\n "labels": [1, ').format()).toBe("d.json:2:16: error: invalid JSON: Unexpected end of JSON input");
    expect(parse('{ "features": [[1,2,3]],\n "labels": [1], "note": "unfinished').format()).toBe("d.json:2:36: error: invalid JSON: Unterminated string");
    expect(parse("").format()).toBe("d.json:1:1: error: invalid JSON: Unexpected end of JSON input");
  });

  it("refuses a document that is not an object", () => {
    expect(parse("[[1,2,3]]").format()).toBe('d.json:1:1: error: expected an object { "features": [...], "labels": [...] }, found an array');
  });

  it("refuses missing keys", () => {
    expect(parse('{ "labels": [0] }').format()).toBe('d.json:1:1: error: missing "features", the rows of input values');
    expect(parse('{ "features": [[1,2,3]] }').format()).toBe('d.json:1:1: error: missing "labels", a class index or a row of targets per sample');
  });

  it("refuses keys of the wrong type", () => {
    expect(parse('{ "features": {}, "labels": [0] }').format()).toBe('d.json:1:15: error: "features" must be an array of rows, found an object');
    expect(parse('{ "features": [[1,2,3]], "labels": 0 }').format()).toBe('d.json:1:36: error: "labels" must be an array, found 0');
  });

  it("refuses data without samples", () => {
    expect(parse('{ "features": [], "labels": [] }').format()).toBe('d.json:1:15: error: "features" has no samples');
  });

  it("refuses a features entry that is not an array", () => {
    expect(parse('{ "features": [[1,2,3], 4], "labels": [0, 1] }').format()).toBe("d.json:1:25: error: features[1] must be an array of numbers, found 4");
  });

  it("refuses a features row of the wrong length", () => {
    const error = parse('{ "features": [[1,2,3],[1,2,3],[1,2,3],[1,2,3,4,5,6,7,8,9,10,11,12]], "labels": [0,1,0,1] }');
    expect(error.message).toBe("features[3] has 12 values; the network takes 3");
    expect([error.file, error.line, error.column]).toEqual(["d.json", 1, 40]);
  });

  it("refuses a feature that is not a number", () => {
    expect(parse('{ "features": [[1,2,3],[1,2,3],[1,"2",3]], "labels": [0,0,0] }').format()).toBe('d.json:1:35: error: features[2][1] is not a number (found the string "2")');
    expect(parse('{ "features": [[1,null,3]], "labels": [0] }').format()).toBe("d.json:1:19: error: features[0][1] is not a number (found null)");
  });

  it("refuses a feature too large for a 32-bit float", () => {
    expect(parse('{ "features": [[1,2,1e999]], "labels": [0] }').format()).toBe("d.json:1:21: error: features[0][2] is too large for a 32-bit float");
  });

  it("refuses labels and features of different counts", () => {
    expect(parse('{ "features": [[1,2,3],[4,5,6]], "labels": [0] }').format()).toBe("d.json:1:44: error: labels has 1 entries but features has 2");
  });

  it("refuses a class label outside [0, outputSize)", () => {
    expect(parse('{ "features": [[1,2,3],[1,2,3]], "labels": [0, 7] }').format()).toBe("d.json:1:48: error: labels[1] = 7 is not a class of a network with 2 outputs (0 … 1)");
  });

  it("refuses a class label that is not an integer or not a number", () => {
    expect(parse('{ "features": [[1,2,3]], "labels": [0.5] }').format()).toBe("d.json:1:37: error: labels[0] = 0.5 is not a class of a network with 2 outputs (0 … 1)");
    expect(parse('{ "features": [[1,2,3]], "labels": [true] }').format()).toBe("d.json:1:37: error: labels[0] is not a number (found true)");
  });

  it("refuses a target row where labels[0] is a class", () => {
    expect(parse('{ "features": [[1,2,3],[1,2,3]], "labels": [0, [1, 0]] }').format()).toBe("d.json:1:48: error: labels[1] is a row of targets, but labels[0] is a class index");
  });

  it("refuses a target row of the wrong width", () => {
    expect(parse('{ "features": [[1,2,3],[1,2,3]], "labels": [[1,0],[1,2,3]] }').format()).toBe("d.json:1:51: error: labels[1] has 3 values; the network has 2 outputs");
  });

  it("refuses a class index where labels[0] is a row of targets", () => {
    expect(parse('{ "features": [[1,2,3],[1,2,3]], "labels": [[1,0], 1] }').format()).toBe("d.json:1:52: error: labels[1] must be an array of numbers, found 1");
  });

  it("refuses a target that is not a number", () => {
    expect(parse('{ "features": [[1,2,3]], "labels": [[1,"x"]] }').format()).toBe('d.json:1:40: error: labels[0][1] is not a number (found the string "x")');
  });

  it("places a data error at its element across lines, in nested rows, with repeated keys and strings holding brackets", () => {
    const text = '{\n  "note": "[{\\"]",\n  "features": [[0, 0, 0]],\n  "features": [\n    [1, 2, 3],\n    [4, "five", 6]\n  ],\n  "labels": [0, 1]\n}';
    // JSON.parse keeps the last "features"; so does the error.
    expect(parse(text).format()).toBe('d.json:6:9: error: features[1][1] is not a number (found the string "five")');
    expect(parse('\uFEFF{ "features": [[1,2,3]],\r\n "labels": [9] }').format()).toBe("d.json:2:13: error: labels[0] = 9 is not a class of a network with 2 outputs (0 … 1)");
  });

  it("places an error deep in a large document in one linear scan", () => {
    const rows = Array.from({ length: 50000 }, (_, i) => `[${i}, ${i}, ${i}]`);
    rows[49999] = "[1, 2]";
    const started = performance.now();
    const error = parse(`{ "features": [\n${rows.join(",\n")}\n], "labels": [${rows.map(() => 0).join(",")}] }`);
    expect([error.line, error.column, error.message]).toEqual([50001, 1, "features[49999] has 2 values; the network takes 3"]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
