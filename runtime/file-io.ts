/**
 * Reading and writing single files for the Node entry (`@deepstruct/runtime/files`):
 * writes that a crash cannot leave half done, and reads whose errors say
 * what was being loaded and from where.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";

/** Writes `path` whole or not at all: to a temporary name beside it, flushed to disk, then renamed over it. */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Reads a file for loading `what` (weights, a training state); a missing or unreadable one is an Error naming it. */
export async function readNamed(path: string, what: string): Promise<Buffer>;
export async function readNamed(path: string, what: string, encoding: "utf8"): Promise<string>;
export async function readNamed(path: string, what: string, encoding?: "utf8"): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(path, encoding) : await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `cannot load ${what}: no such file ${path}` : `cannot load ${what} from ${path}: ${(error as Error).message}`, { cause: error });
  }
}
