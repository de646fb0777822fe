/**
 * `dsc --version` and `dsc --help` must start as fast as Node itself: the CLI
 * entry loads only argument parsing, and each command imports its heavy
 * modules (the compiler, TensorFlow.js, ts-morph, prettier) when it runs.
 * This walks the static imports from src/cli/main.ts — every `import` that
 * is not `import type` — and fails on the first path to a heavy module.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
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

/** The chain of files from the entry to the first import of a `heavy` module, or undefined when there is none. */
function heavyPath(file: string, heavy: readonly string[] = HEAVY, seen = new Set<string>()): string[] | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const specifier of runtimeImports(readFileSync(file, "utf8"))) {
    if (heavy.some((module) => specifier.startsWith(module))) return [file, specifier];
    if (!specifier.startsWith(".")) continue;
    const path = heavyPath(join(dirname(file), specifier.replace(/\.js$/, ".ts")), heavy, seen);
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

/**
 * `dsc compile` loads what its passes run (chevrotain, graphology) and, to
 * emit, prettier and ts-morph; the rest was most of its start (docs/benchmarks.md,
 * "Start-up"). TensorFlow.js came in through the datasets' index, and
 * chevrotain's entry imports lodash-es as some 700 ES modules where its
 * one-file build is one: the grammar takes chevrotain from grammar/chevrotain.ts,
 * which imports the package itself only for types.
 */
describe("dsc compile's start", () => {
  const NOT_FOR_COMPILE = ["@tensorflow/", "ts-morph", "prettier", "chevrotain", "elkjs", "mnist", "vscode-languageserver", "cli-progress"];

  it("analyzes without TensorFlow.js, the emitters or chevrotain's many-module entry", () => {
    expect(heavyPath(resolve("src/cli/compile.ts"), NOT_FOR_COMPILE)).toBeUndefined();
  });

  it("loads ts-morph with require, which skips the export scan of an ES import", () => {
    const emit = readFileSync(resolve("src/emit/index.ts"), "utf8");
    expect(runtimeImports(emit)).not.toContain("ts-morph");
    expect(emit).toMatch(/createRequire\(import\.meta\.url\)\("ts-morph"\)/);
  });

  it("gives the grammar chevrotain's one-file build", async () => {
    const bundle = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("chevrotain")), "..", "chevrotain.mjs")).href;
    const shim = await import("../../grammar/chevrotain.js");
    const [bundled, entry] = [(await import(bundle)) as typeof import("chevrotain"), await import("chevrotain")];
    expect(shim.CstParser).toBe(bundled.CstParser);
    expect(shim.CstParser).not.toBe(entry.CstParser);
    expect(bundled.VERSION).toBe(entry.VERSION);
  });
});
