// Copies the runtime's files that tsc does not emit into the package: the
// Node bundle of TensorFlow.js's gradient registrations (into dist, where the
// package's `#tfjs-gradients` import points), and the native addon's C
// sources with its build script (scripts/build-native.ts, transpiled to
// native/build.js), which the package's install script runs so that an app
// builds the addon for its own machine (or falls back to WASM with one message).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { transformSync } from "esbuild";

const here = (path) => new URL(path, import.meta.url);
const repo = (path) => new URL(`../../${path}`, import.meta.url);

const assets = ["gradients/tfjs-gradients.node.js"];
for (const asset of assets) {
  const target = here(`dist/${asset}`);
  mkdirSync(new URL(".", target), { recursive: true });
  copyFileSync(repo(`runtime/${asset}`), target);
}

mkdirSync(here("native"), { recursive: true });
for (const file of readdirSync(repo("native")).filter((name) => /\.[ch]$/.test(name))) copyFileSync(repo(`native/${file}`), here(`native/${file}`));
const script = transformSync(readFileSync(repo("scripts/build-native.ts"), "utf8"), { loader: "ts", format: "esm", target: "node20" });
writeFileSync(here("native/build.js"), `// Generated from scripts/build-native.ts by copy-assets.js.\n${script.code}`);
