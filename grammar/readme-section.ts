const START = "<!-- grammar:start -->";
const END = "<!-- grammar:end -->";

/** The README with the text between the grammar markers replaced by the EBNF. */
export function withGrammarSection(readme: string, ebnf: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n\n\`\`\`ebnf\n${ebnf.trimEnd()}\n\`\`\`\n\n${readme.slice(end)}`;
}
