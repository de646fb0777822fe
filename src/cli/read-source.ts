import { readFile } from "node:fs/promises";
import type { CliIo } from "./main.js";

/** A .ds file's text, or `undefined` after telling the user why it cannot be read. */
export async function readSource(file: string, io: CliIo): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    io.err(`dsc: cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    return undefined;
  }
}
