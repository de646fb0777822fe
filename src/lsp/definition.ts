import type { Location } from "vscode-languageserver";
import type { Analysis } from "./analysis.js";
import { declarations, locate } from "./locate.js";

/** Go to definition: a name used in the file (a structure's graph, a graph argument, a layer in layers=[…]) to its declaration. */
export function definition(analysis: Analysis, uri: string, offset: number): Location | null {
  const found = locate(analysis.ast, offset);
  const name = found?.kind === "reference" ? found.reference.name : found?.kind === "declaration" ? found.declaration.name.name : undefined;
  const declaration = name === undefined ? undefined : declarations(analysis.ast).get(name);
  return declaration === undefined ? null : { uri, range: analysis.lines.range(declaration.name.span) };
}
