/**
 * `npx tsx scripts/function-lengths.ts [DIR…] [--max N]`: the longest
 * functions in the given folders (default runtime/), by lines from the
 * `function` keyword (or arrow) to the closing brace. With --max, exits 1
 * if any is longer, so CI can hold the limit.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ts } from "ts-morph";

const args = process.argv.slice(2);
const maxAt = args.indexOf("--max");
const max = maxAt >= 0 ? Number(args[maxAt + 1]) : undefined;
const dirs = args.filter((a, i) => a !== "--max" && i !== maxAt + 1);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

interface Found {
  readonly where: string;
  readonly name: string;
  readonly lines: number;
}

function lengths(path: string): Found[] {
  const text = readFileSync(path, "utf8");
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: Found[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name?.getText(source) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : "(anonymous)");
      found.push({ where: `${path}:${start + 1}`, name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const all = (dirs.length > 0 ? dirs : ["runtime"])
  .flatMap(files)
  .flatMap(lengths)
  .sort((a, b) => b.lines - a.lines);
for (const f of all.slice(0, 10)) console.log(`${String(f.lines).padStart(4)}  ${f.name}  ${f.where}`);
const over = max === undefined ? [] : all.filter((f) => f.lines > max);
if (over.length > 0) {
  console.error(`${over.length} function(s) over ${max} lines`);
  process.exit(1);
}
