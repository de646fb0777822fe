import { describe, expect, it } from "vitest";
import { analyze, type CheckedDataset } from "../../src/index.js";
import { declaredDataset } from "../../src/data/index.js";
import { blobs, moons, spirals } from "../../runtime/index.js";

const LANDSCAPE = 'data landscape = function("20 + x - 1.8*(y - 5) + 3*sin(x + 2*y)*y + (x/4)^4 + (y/4)^4", inputs=[x, y], domain=[-2, 2], samples=500, seed=1)';

function declared(source: string): CheckedDataset[] {
  const result = analyze(source, { fileName: "d.ds" });
  expect(result.diagnostics).toEqual([]);
  return [...result.datasets!];
}

/** Each diagnostic as CODE@line:column-endColumn. */
function problems(source: string): string[] {
  return analyze(source, { fileName: "d.ds" }).diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}-${d.span.end.column}`);
}

describe("data declarations: function datasets", () => {
  it("the landscape's targets are the formula at its sampled points, all inside the domain", () => {
    const data = declaredDataset(declared(LANDSCAPE)[0]!.source);
    expect([data.size, data.featureSize]).toEqual([500, 2]);
    if (data.labels.kind !== "targets") throw new Error("expected targets");
    for (let s = 0; s < data.size; s++) {
      const x = data.features[2 * s]!;
      const y = data.features[2 * s + 1]!;
      const expected = 20 + x - 1.8 * (y - 5) + 3 * Math.sin(x + 2 * y) * y + (x / 4) ** 4 + (y / 4) ** 4;
      expect(data.labels.values[s]).toBe(Math.fround(expected));
      expect(Math.abs(x) <= 2 && Math.abs(y) <= 2).toBe(true);
    }
  });

  it("is deterministic: the same declaration gives the same samples, another seed others", () => {
    const a = declaredDataset(declared(LANDSCAPE)[0]!.source);
    expect(declaredDataset(declared(LANDSCAPE)[0]!.source)).toEqual(a);
    const other = declaredDataset(declared(LANDSCAPE.replace("seed=1", "seed=2"))[0]!.source);
    expect(Array.from(other.features)).not.toEqual(Array.from(a.features));
  });

  it("evaluates precedence, signs, constants, functions and escapes as written", () => {
    const source = 'data d = function("-x^2 + 2^-1 + 2^3^2/512 + pi - e + abs(-x) * sqrt(4) + exp(log(3)) + tanh(0) + cos(0) + tan(0) + --x \\\\ ", inputs=[x], samples=20)';
    // The string holds an escaped backslash, which is no character of the language: the caret is on the character escaped.
    expect(problems(source)).toEqual(["DS1010@1:122-123"]);
    const data = declaredDataset(declared(source.replace(" \\\\ ", ""))[0]!.source);
    if (data.labels.kind !== "targets") throw new Error("expected targets");
    for (let s = 0; s < data.size; s++) {
      const x = data.features[s]!;
      const expected = -(x ** 2) + 0.5 + 1 + Math.PI - Math.E + Math.abs(x) * 2 + 3 + 0 + 1 + 0 + x;
      expect(data.labels.values[s]).toBeCloseTo(expected, 5);
    }
  });

  it("samples a grid per input and a domain per input", () => {
    const [d] = declared('data g = function("x + 10*y", inputs=[x, y], domain=[[0, 1], [0, 2]], sampler=grid, samples=[2, 3])');
    const data = declaredDataset(d!.source);
    expect(Array.from(data.features)).toEqual([0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2]);
  });

  it("places each bad expression's diagnostic at its own characters in the file", () => {
    const at = (expression: string, inputs = "[x, y]"): string[] => problems(`\n  data f = function("${expression}", inputs=${inputs})`);
    // The string starts at column 21 of line 2, so the expression's first character is column 22.
    expect(at("x + z")).toEqual(["DS2041@2:26-27"]);
    expect(at("x + * y")).toEqual(["DS1010@2:26-27"]);
    expect(at("(x + y")).toEqual(["DS1010@2:28-29"]);
    expect(at("x # y")).toEqual(["DS1010@2:24-25"]);
    expect(at("x y")).toEqual(["DS1010@2:24-25"]);
    expect(at("2 * sin x")).toEqual(["DS2046@2:26-29"]);
    expect(at("cos + 1")).toEqual(["DS2046@2:22-25"]);
    expect(at("x(y + 1)")).toEqual(["DS2045@2:22-23"]);
    expect(at("pi(2)")).toEqual(["DS2045@2:22-24"]);
    expect(at("sine(x)")).toEqual(["DS2041@2:22-26"]);
    expect(at("1e999 * x")).toEqual(["DS1010@2:22-27"]);
    expect(at("")).toEqual(["DS1010@2:22-23"]);
    expect(at(`${"(".repeat(65)}x${")".repeat(65)}`)).toEqual(["DS1010@2:86-87"]);
    expect(at("x", "[x, x]")).toEqual(["DS2043@2:37-38"]);
    expect(at("x", "[x, exp]")).toEqual(["DS2044@2:37-40"]);
  });

  it("names the sample, the point and the sub-expression where a value is not finite", () => {
    const source = 'data f = function("1 + log(x) * y", inputs=[x, y], domain=[[-1, 1], [1, 2]], samples=50)';
    const [d] = analyze(source).diagnostics;
    expect(`${d!.code}@${d!.span.start.line}:${d!.span.start.column}-${d!.span.end.column}`).toBe("DS2042@1:24-30");
    expect(d!.message).toMatch(/^the expression is not finite at sample \d+ \(x = -[\d.e-]+, y = [\d.]+\): 'log\(x\)' is NaN$/);
    expect(problems('data f = function("1/x", inputs=[x], sampler=grid, samples=3)')).toEqual(["DS2042@1:20-23"]);
    expect(analyze('data f = function("exp(x)", inputs=[x], domain=[100, 101], samples=3)').diagnostics[0]!.message).toMatch(/'exp\(x\)' is .*too large for a 32-bit float$/);
  });

  it("checks the arguments' kinds and ranges", () => {
    expect(problems("data f = function(1, inputs=[x])")).toEqual(["DS2005@1:19-20"]);
    expect(problems('data f = function("x")')).toEqual(["DS2007@1:10-23"]);
    expect(problems('data f = function("x", inputs=x)')).toEqual(["DS2005@1:31-32"]);
    expect(problems('data f = function("x", inputs=[x], domain=[2, -2])')).toEqual(["DS2006@1:43-50"]);
    expect(problems('data f = function("x", inputs=[x], domain=[[0, 1], [0, 1]])')).toEqual(["DS2005@1:43-59"]);
    expect(problems('data f = function("x", inputs=[x], samples=0)')).toEqual(["DS2005@1:44-45"]);
    expect(problems('data f = function("x", inputs=[x], samples=2000000)')).toEqual(["DS2006@1:44-51"]);
    expect(problems('data f = function("x*y", inputs=[x, y], sampler=grid, samples=500)')).toEqual(["DS2006@1:55-66"]);
    expect(problems('data f = function("x", inputs=[x], sampler=random)')).toEqual(["DS2005@1:44-50"]);
    expect(problems(`data f = function("${"x+".repeat(100)}x", inputs=[x], samples=1000000)`)).toEqual(["DS2006@1:236-251"]);
  });
});

describe("data declarations: built-ins", () => {
  it("make the runtime's moons, spirals and blobs from the same arguments", () => {
    const [m, s, b] = declared("data m = moons(samples=1000, noise=0.1, seed=0)\ndata s = spirals(200, arms=3)\ndata b = blobs(centers=4, features=3, box=[0, 5], seed=2)");
    expect(declaredDataset(m!.source)).toEqual(moons({ samples: 1000, noise: 0.1, seed: 0 }));
    expect(declaredDataset(s!.source)).toEqual(spirals({ samples: 200, arms: 3 }));
    expect(declaredDataset(b!.source)).toEqual(blobs({ centers: 4, features: 3, box: [0, 5], seed: 2 }));
  });

  it("refuses unknown datasets and impossible arguments, at their place", () => {
    expect(problems("data m = mooons()")).toEqual(["DS2040@1:10-16"]);
    expect(problems("data m = moons(noise=-1)")).toEqual(["DS2006@1:22-24"]);
    expect(problems("data m = moons(samples=1.5)")).toEqual(["DS2005@1:24-27"]);
    expect(problems("data s = spirals(samples=3, arms=4)")).toEqual(["DS2006@1:18-27"]);
    expect(problems("data b = blobs(box=[1])")).toEqual(["DS2005@1:20-23"]);
  });

  it("shares names with graphs and networks: no two declarations alike, no data as a structure", () => {
    expect(problems("graph m = path(3)\ndata m = moons()")).toEqual(["DS2001@2:6-7"]);
    expect(problems("data m = moons()\nnetwork N { input 2 structure m output 2 }")).toEqual(["DS2005@2:31-32"]);
    expect(analyze("data m = moons()\nnetwork N { input 2 structure m output 2 }").diagnostics[0]!.message).toBe("'structure' expects the name of a graph, but got data 'm'");
  });
});
