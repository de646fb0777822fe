import { describe, expect, it } from "vitest";
import { parseCsv, type DataError } from "../../src/data/index.js";
import { dataError } from "../support/data.js";

const shape = { inputSize: 3, outputSize: 2 };

const parse = (text: string): DataError => dataError(() => parseCsv(text, "d.csv", shape));

describe("parseCsv", () => {
  it("reads a header, comments, blank lines, padded cells, CRLF line endings and class labels", () => {
    const data = parseCsv("\n# made by hand\na, b, c, label\n# note\n\n 1 , 2,3, 1\r\n-4.5,.5,6e1,0\r\n\n", "d.csv", shape);
    expect(data.size).toBe(2);
    expect(data.featureSize).toBe(3);
    expect(Array.from(data.features)).toEqual([1, 2, 3, -4.5, 0.5, 60]);
    expect(data.labels).toEqual({ kind: "classes", classes: Int32Array.from([1, 0]) });
  });

  it("reads outputSize target values when the first row is that wide", () => {
    const data = parseCsv("1,2,3,0.5,-0.5\n4,5,6,1e-1,2", "d.csv", shape);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.labels).toEqual({ kind: "targets", width: 2, values: Float32Array.from([0.5, -0.5, 0.1, 2]) });
  });

  it("reads the one extra value of a single-output network as a target, not a class", () => {
    const data = parseCsv("1,2,0.25\n3,4,7", "d.csv", { inputSize: 2, outputSize: 1 });
    expect(data.labels).toEqual({ kind: "targets", width: 1, values: Float32Array.from([0.25, 7]) });
  });

  it("skips a byte-order mark before the header", () => {
    const data = parseCsv("\uFEFFx,y,z,class\n1,2,3,1\n", "d.csv", shape);
    expect(data.size).toBe(1);
    expect(data.labels).toEqual({ kind: "classes", classes: Int32Array.from([1]) });
  });

  it("refuses a row whose count of values differs from the first row's, on its line", () => {
    const error = parse("x,y,z,c\n1,2,3,1\n# fine so far\n1,2,3\n");
    // The column is just past the row's last value, where the missing one should be.
    expect([error.message, error.line, error.column]).toEqual(["line 4 has 3 values, but the first row has 4", 4, 6]);
    expect(error.format()).toBe("d.csv:4:6: error: line 4 has 3 values, but the first row has 4");
    expect(parse("1,2,3,1\n1,2,3,1, 9\n").format()).toBe("d.csv:2:10: error: line 2 has 5 values, but the first row has 4");
  });

  it("refuses a non-numeric cell at its line and column", () => {
    const error = parse("1,2,3,1\n1,  abc ,3,1\n");
    expect(error.format()).toBe("d.csv:2:5: error: 'abc' is not a number");
  });

  it("refuses NaN, Infinity and hexadecimal cells", () => {
    expect(parse("NaN,2,3,1\n").format()).toBe("d.csv:1:1: error: 'NaN' is not a number");
    expect(parse("1,Infinity,3,1\n").format()).toBe("d.csv:1:3: error: 'Infinity' is not a number");
    expect(parse("1,2,0x1f,1\n").format()).toBe("d.csv:1:5: error: '0x1f' is not a number");
  });

  it("refuses an empty cell at its column", () => {
    expect(parse("1,2,3,1\n1,2,  ,1\n").format()).toBe("d.csv:2:5: error: empty cell, expected a number");
  });

  it("refuses a value too large for a 32-bit float", () => {
    expect(parse("1,2,1e39,1\n").format()).toBe("d.csv:1:5: error: '1e39' is too large for a 32-bit float");
  });

  it("refuses a header that is not the first line", () => {
    expect(parse("1,2,3,1\na,b,c,d\n").format()).toBe("d.csv:2:1: error: 'a' is not a number");
  });

  it("refuses a first row that fits neither layout, saying both", () => {
    const error = parse("# comment\n1,2,3,4,5,6\n");
    expect(error.format()).toBe("d.csv:2:1: error: expected 4 columns (3 features and a class label) or 5 (3 features and 2 targets), found 6");
    const mnist = dataError(() => parseCsv(`${Array(790).fill("0").join(",")}\n`, "m.csv", { inputSize: 784, outputSize: 10 }));
    expect(mnist.message).toBe("expected 785 columns (784 features and a class label) or 794 (784 features and 10 targets), found 790");
  });

  it("refuses a class label outside [0, outputSize)", () => {
    const error = parse("1,2,3,1\n\n1,2,3, 12\n");
    expect([error.line, error.column]).toEqual([3, 8]);
    expect(error.message).toBe("label 12 on line 3 is not a class of a network with 2 outputs (0 … 1)");
  });

  it("refuses a negative class label", () => {
    expect(parse("1,2,3,-1\n").format()).toBe("d.csv:1:7: error: label -1 on line 1 is not a class of a network with 2 outputs (0 … 1)");
  });

  it("refuses a class label that is not an integer", () => {
    expect(parse("1,2,3,0.5\n").format()).toBe("d.csv:1:7: error: label 0.5 on line 1 is not a class of a network with 2 outputs (0 … 1)");
  });

  it("refuses a file with no data rows", () => {
    expect(parse("a,b,c,d\n# nothing\n\n").format()).toBe("d.csv:1:1: error: the file has no data rows");
    expect(parse("").format()).toBe("d.csv:1:1: error: the file has no data rows");
  });

  it("reads semicolon-separated files, with decimal commas", () => {
    const data = parseCsv("x;y;z;label\n1;2,5;3;1\n-4,25;.5;6e1;0\n", "d.csv", shape);
    expect(Array.from(data.features)).toEqual([1, 2.5, 3, -4.25, 0.5, 60]);
    expect(data.labels).toEqual({ kind: "classes", classes: Int32Array.from([1, 0]) });
    expect(parse("1;2;3;1\n1;2;x;1\n").format()).toBe("d.csv:2:5: error: 'x' is not a number");
  });

  it("reads tab-separated files, commas inside them being no delimiters", () => {
    const data = parseCsv("a\tb\tc\td\te\n1\t2\t3\t0.5\t-1\n", "d.tsv", shape);
    expect(data.labels).toEqual({ kind: "targets", width: 2, values: Float32Array.from([0.5, -1]) });
    expect(parse("1\t2\t3\t1\n1\t2\t1,5\t1\n").format()).toBe("d.csv:2:5: error: '1,5' is not a number");
  });

  it("reads quoted cells, a quoted header with delimiters inside, and quoted numbers", () => {
    const data = parseCsv('"width, cm","height; cm","a ""b""",label\n"1","2", "3" ,"1"\n4,5,6,0\n', "d.csv", shape);
    expect(data.size).toBe(2);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.labels).toEqual({ kind: "classes", classes: Int32Array.from([1, 0]) });
  });

  it("places cells after a quoted line break on their own line", () => {
    expect(parse('"a\nb",x,y,z\n1,2,3,1\n1,  q,3,1\n').format()).toBe("d.csv:4:5: error: 'q' is not a number");
  });

  it("places a quoting error at its cell", () => {
    const error = parse('1,2,3,1\n1,2,"3,1\n');
    expect([error.line, error.column]).toEqual([2, 5]);
    expect(error.message).toMatch(/^malformed CSV: Quote Not Closed/);
    expect(parse('1,2,3,1\n1,"2"x,3,1\n').format()).toMatch(/^d\.csv:2:3: error: malformed CSV: Invalid Closing Quote/);
  });

  it("skips a byte-order mark before a semicolon header, counting columns after it", () => {
    expect(parse("\uFEFFa;b;c;d\n1;2;3;z\n").format()).toBe("d.csv:2:7: error: 'z' is not a number");
    const data = parseCsv("\uFEFF1;2;3;1\n4;5;6;0\n", "d.csv", shape);
    expect(data.size).toBe(2);
  });

  it("reads many rows of one file in one pass", () => {
    const text = Array.from({ length: 20000 }, (_, i) => `${i},${i / 2},${-i},${i % 2}`).join("\n");
    const started = performance.now();
    const data = parseCsv(text, "d.csv", shape);
    expect(data.size).toBe(20000);
    expect(data.features[3 * 19999 + 1]).toBe(19999 / 2);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
