/**
 * Chevrotain as the grammar uses it, loaded from the one-file build its
 * package ships (lib/chevrotain.mjs, the same version and exports as its
 * entry). Its entry, lib/src/api.js, imports lodash-es one function per
 * module: 700 ES modules that took 0.5 s of a 1.4 s `dsc compile`, against
 * 0.05 s for the bundle. The package does not export that path, so it is
 * found beside the entry; where it is missing the entry is loaded instead.
 * Every part of the compiler that makes tokens, lexers or parsers imports
 * them from here, so that one copy of chevrotain serves them all.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function loadChevrotain(): Promise<Chevrotain> {
  let bundle: string;
  try {
    bundle = pathToFileURL(createRequire(import.meta.url).resolve("chevrotain")).href.replace(/\/lib\/src\/api\.js$/, "/lib/chevrotain.mjs");
  } catch {
    return import("chevrotain");
  }
  if (!bundle.endsWith("/lib/chevrotain.mjs")) return import("chevrotain");
  try {
    return (await import(bundle)) as Chevrotain;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    return import("chevrotain");
  }
}

const chevrotain = await loadChevrotain();

export const { createToken, CstParser, Lexer } = chevrotain;
export type CstParser = import("chevrotain").CstParser;
export type Lexer = import("chevrotain").Lexer;
export type { CstNode, ISerializedGast, ParserMethod, TokenType } from "chevrotain";
