import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { grammarEbnf } from "../../grammar/ebnf.js";
import { withGrammarSection } from "../../grammar/readme-section.js";

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("the documented grammar", () => {
  it("grammar/grammar.ebnf is what the parser accepts (run `npm run grammar:docs` if this fails)", () => {
    expect(read("grammar/grammar.ebnf")).toBe(grammarEbnf());
  });

  it("the README's grammar section is up to date", () => {
    const readme = read("README.md");
    expect(withGrammarSection(readme, grammarEbnf())).toBe(readme);
  });

  it("names every rule of the language", () => {
    const rules = grammarEbnf()
      .split("\n")
      .filter((line) => /^[a-z]\w* = /.test(line))
      .map((line) => line.split(" ")[0]);
    expect(rules).toEqual(expect.arrayContaining(["program", "graphDeclaration", "edgeList", "networkDeclaration", "value", "call"]));
  });
});
