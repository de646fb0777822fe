/**
 * Regenerates the language's documentation from the parser:
 * grammar/grammar.ebnf, grammar/diagrams.html (railroad diagrams) and the
 * grammar section of README.md. Run with `npm run grammar:docs`; a test
 * fails when the committed files are stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createSyntaxDiagramsCode } from "chevrotain";
import { grammarEbnf, grammarProductions } from "../grammar/ebnf.js";
import { withGrammarSection } from "../grammar/readme-section.js";

const root = new URL("../", import.meta.url);
const ebnf = grammarEbnf();
writeFileSync(new URL("grammar/grammar.ebnf", root), ebnf);
writeFileSync(new URL("grammar/diagrams.html", root), createSyntaxDiagramsCode(grammarProductions()));
const readme = new URL("README.md", root);
writeFileSync(readme, withGrammarSection(readFileSync(readme, "utf8"), ebnf));
console.log("wrote grammar/grammar.ebnf, grammar/diagrams.html and the grammar section of README.md");
