import { readFileSync } from "node:fs";
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { expect } from "vitest";
import type { NetworkSpec } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

/** The SVG parsed strictly: any warning or error of the XML parser fails the test. */
export function parseSvg(svg: string): Document {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void problems.push(`${level}: ${message}`) }).parseFromString(svg, "image/svg+xml");
  expect(problems).toEqual([]);
  expect(doc.documentElement?.tagName).toBe("svg");
  return doc;
}

export function elements(doc: Document, tag: string, className?: string): Element[] {
  const all = Array.from(doc.getElementsByTagName(tag));
  return className === undefined ? all : all.filter((e) => (e.getAttribute("class") ?? "").split(" ").includes(className));
}

/** The spec of one network of a source text (the first when no name is given). */
export function specOf(source: string, network?: string): NetworkSpec {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const plan = network === undefined ? plans![0] : plans!.find((p) => p.network.name === network);
  return networkSpec(plan!);
}

export function exampleSpec(file: string, network: string): NetworkSpec {
  return specOf(readFileSync(new URL(`../../examples/${file}`, import.meta.url), "utf8"), network);
}
