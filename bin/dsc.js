#!/usr/bin/env node
// `dsc --version` answers from here: resolving each module of the CLI costs a
// realpath of every file it loads, which on slow file systems was most of its start.
const [command] = process.argv.slice(2);
if (command === "--version" || command === "-v") {
  const { readFileSync } = await import("node:fs");
  process.stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
} else {
  // Node 22.1+ keeps V8's compiled code of the modules it loads (prettier's parser,
  // chevrotain, the compiler) in a cache of its own, and carries on when it cannot
  // write one; Node 20 has no such call, and this line does nothing.
  (await import("node:module")).enableCompileCache?.();
  const { main } = await import("../dist/src/cli/main.js");
  process.exitCode = await main(process.argv.slice(2));
}
