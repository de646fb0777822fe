/**
 * The folder `dsc train` writes, changed as a whole. `OUT` is a symbolic link
 * to one complete generation, `.OUT.runs/N/` beside it; a checkpoint writes
 * generation N+1 in full, flushes it, and then renames a new link over `OUT`
 * — one atomic step — so a reader (or a crash, or a kill at any moment) sees
 * the old run or the new one, never a mix of the two. The generation before
 * the current one is kept, so a reader that resolved the link just before a
 * switch can finish reading; older ones are removed.
 */
import { randomBytes } from "node:crypto";
import { lstat, link, mkdir, open, readdir, readlink, rename, rm, stat, symlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "./usage.js";

/** Files that mark a folder as a run `dsc train` wrote. */
const RUN_MARKERS = ["model.json", "report.json"];

export interface RunFolder {
  /** The path the user sees (the link). */
  readonly path: string;
  /** The generation folder `path` points to now, if any. */
  current(): Promise<string | undefined>;
  /**
   * Makes a new generation: links in `keep` files of the current one (unchanged
   * data, no copy), lets `write` add the rest, then switches `path` to it.
   */
  commit(write: (dir: string) => Promise<void>, keep?: readonly string[]): Promise<void>;
}

export interface RunFolderChoice {
  /** `--out`, if given; otherwise `fallback` or, when that holds a run, the first free `fallback-2`, `fallback-3`, … */
  readonly out?: string;
  readonly fallback: string;
  /** `--force`: replace a run at `out`. */
  readonly force: boolean;
  /** The run being resumed, which may be written again without `--force`. */
  readonly resuming?: string;
}

/** Checks the output folder before any training, so a wrong `--out` costs nothing. */
export async function claimRunFolder(choice: RunFolderChoice): Promise<RunFolder> {
  if (choice.out === undefined) {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? choice.fallback : `${choice.fallback}-${n}`;
      if ((await occupant(candidate)) === "none") return runFolder(candidate);
    }
  }
  const found = await occupant(choice.out);
  const same = choice.resuming !== undefined && (await sameFile(choice.resuming, choice.out));
  if (found === "file") throw new UsageError(`--out ${choice.out} is a file; it must name a folder`);
  if (found === "other") throw new UsageError(`--out ${choice.out} holds files that are not a run of dsc train; choose another folder`);
  if (found === "run" && !choice.force && !same) {
    throw new UsageError(`--out ${choice.out} already holds a run; pass --force to replace it, or --resume ${choice.out} to continue it`);
  }
  return runFolder(choice.out);
}

type Occupant = "none" | "empty" | "run" | "file" | "other";

async function occupant(path: string): Promise<Occupant> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return (await lstat(path).catch(() => undefined)) === undefined ? "none" : "empty";
  if (!info.isDirectory()) return "file";
  const names = await readdir(path);
  if (names.length === 0) return "empty";
  return names.some((n) => RUN_MARKERS.includes(n)) ? "run" : "other";
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return x !== undefined && y !== undefined && x.ino === y.ino && x.dev === y.dev;
}

function runFolder(path: string): RunFolder {
  const generations = join(dirname(path), `.${basename(path)}.runs`);
  const current = async (): Promise<string | undefined> => {
    const target = await readlink(path).catch(() => undefined);
    return target === undefined ? undefined : join(dirname(path), target);
  };
  return {
    path,
    current,
    async commit(write, keep = []) {
      const previous = await current();
      await mkdir(generations, { recursive: true });
      const number = (await generationNumbers(generations)).reduce((a, b) => Math.max(a, b), 0) + 1;
      const dir = join(generations, String(number));
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      if (previous !== undefined) for (const name of keep) await link(join(previous, name), join(dir, name));
      await write(dir);
      await syncFolder(dir);
      await switchLink(path, join(`.${basename(path)}.runs`, String(number)));
      await removeGenerations(generations, (n) => n < number && join(generations, String(n)) !== previous);
    },
  };
}

async function generationNumbers(generations: string): Promise<number[]> {
  return (await readdir(generations)).filter((n) => /^\d+$/.test(n)).map(Number);
}

async function removeGenerations(generations: string, stale: (n: number) => boolean): Promise<void> {
  for (const n of await generationNumbers(generations)) if (stale(n)) await rm(join(generations, String(n)), { recursive: true, force: true });
}

/** Points `path` at `target` in one rename; a folder in the way (an empty one, or an old run replaced with --force) is moved aside first. */
async function switchLink(path: string, target: string): Promise<void> {
  const temporary = `${path}.link-${process.pid}-${randomBytes(4).toString("hex")}`;
  await symlink(target, temporary);
  const info = await lstat(path).catch(() => undefined);
  let aside: string | undefined;
  if (info?.isDirectory() === true) {
    aside = `${path}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
    await rename(path, aside);
  }
  await rename(temporary, path);
  await syncFolder(dirname(path));
  if (aside !== undefined) await rm(aside, { recursive: true, force: true });
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
