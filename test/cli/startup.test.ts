/**
 * `dsc --version` and `dsc --help` must start as fast as Node itself: the CLI
 * entry loads only argument parsing, and each command imports its heavy
 * modules (the compiler, TensorFlow.js, ts-morph, prettier) when it runs.
 * This walks the static imports from src/cli/main.ts — every `import` that
 * is not `import type` — and fails on the first path to a heavy module.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const HEAVY = ["@tensorflow/", "ts-morph", "prettier", "chevrotain", "graphology", "elkjs", "mnist", "vscode-languageserver"];
const ENTRY = resolve("src/cli/main.ts");

/** The module specifiers a TypeScript file imports at run time, in order. */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)) {
    specifiers.push(match[2] ?? match[3]!);
  }
  return specifiers;
}

/** The chain of files from the entry to the first heavy import, or undefined when there is none. */
function heavyPath(file: string, seen = new Set<string>()): string[] | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const specifier of runtimeImports(readFileSync(file, "utf8"))) {
    if (HEAVY.some((heavy) => specifier.startsWith(heavy))) return [file, specifier];
    if (!specifier.startsWith(".")) continue;
    const path = heavyPath(join(dirname(file), specifier.replace(/\.js$/, ".ts")), seen);
    if (path !== undefined) return [file, ...path];
  }
  return undefined;
}

describe("the CLI's start", () => {
  it("loads no heavy module before a command runs", () => {
    expect(heavyPath(ENTRY)).toBeUndefined();
  });

  it("would see a heavy module reached through a static import", () => {
    // The walk itself: the compiler's entry does reach the heavy modules.
    expect(heavyPath(resolve("src/index.ts"))?.at(-1)).toMatch(/^(@tensorflow\/|ts-morph|prettier|chevrotain|graphology)/);
  });
});
