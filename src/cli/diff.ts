import { readFile } from "node:fs/promises";
import { formatDiagnostic } from "../diagnostics/format.js";
import {
  describeProgram,
  diffPrograms,
  diffRuns,
  formatProgramDiff,
  formatRunDiff,
  isEmptyDiff,
  isEmptyRunDiff,
  loadRun,
  programVersion,
  type ProgramDiff,
  type ProgramVersion,
  type RunDiff,
} from "../diff/index.js";
import { isRunFolder } from "../diff/run-files.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

export interface DiffArguments {
  readonly paths: readonly string[];
  readonly json: boolean;
  readonly limit?: number;
  /** Called by git as an external diff driver: the paths are git's seven arguments. */
  readonly git: boolean;
  /** Called by git as a textconv filter: one path, whose structure is printed line by line. */
  readonly textconv?: boolean;
}

/** Trouble, as diff(1) reports it: a file that cannot be read or compared. */
const TROUBLE = 2;

/**
 * `dsc diff A B`: the structural diff of two `.ds` files or two run folders.
 * Exit status as diff(1)'s: 0 the same, 1 different, 2 trouble (with the
 * diagnostics of a file that has errors). Under `--git` always 0, since git
 * stops a whole `git diff` or `git log -p` at a driver's non-zero status.
 */
export async function diffCommand(args: DiffArguments, io: CliIo): Promise<number> {
  if (args.git) return await gitDriver(args, io);
  if (args.textconv === true) return await textconv(args.paths, io);
  if (args.paths.length !== 2) throw new UsageError(`diff takes two .ds files or two run folders, got ${args.paths.length}`);
  const [a, b] = args.paths as [string, string];
  const runs = [isRunFolder(a), isRunFolder(b)];
  if (runs[0] !== runs[1]) throw new UsageError(`diff compares two .ds files or two run folders; ${runs[0] ? a : b} is a run folder and ${runs[0] ? b : a} is not`);
  try {
    if (runs[0]) return report(diffRuns(await loadRun(a), await loadRun(b), args), args.json, io);
    const versions = await Promise.all([readVersion(a, a, io), readVersion(b, b, io)]);
    if (versions[0] === undefined || versions[1] === undefined) return TROUBLE;
    return report(diffPrograms(versions[0], versions[1], args), args.json, io);
  } catch (error) {
    io.err(`dsc: ${(error as Error).message}`);
    return TROUBLE;
  }
}

function report(diff: ProgramDiff | RunDiff, json: boolean, io: CliIo): number {
  const empty = diff.kind === "programs" ? isEmptyDiff(diff) : isEmptyRunDiff(diff);
  if (json) io.out(JSON.stringify(diff, null, 2));
  else for (const line of diff.kind === "programs" ? formatProgramDiff(diff) : formatRunDiff(diff)) io.out(line);
  return empty ? 0 : 1;
}

/**
 * Reads and analyzes one side, printing its diagnostics to `print`. `fileName`
 * is the name diagnostics carry and `file(...)` paths resolve against.
 */
async function readVersion(path: string, fileName: string, io: CliIo, print: (text: string) => void = io.err): Promise<ProgramVersion | undefined> {
  let source: string;
  try {
    source = await readFile(path, "utf8");
  } catch (error) {
    print(`dsc: cannot read ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    return undefined;
  }
  const { version, diagnostics } = programVersion(source, { fileName });
  for (const d of diagnostics) print(formatDiagnostic(d, source));
  return version;
}

/**
 * git's external diff driver: `PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE NEW-HEX NEW-MODE`.
 * Everything goes to standard output, which git pages; a side git passes as
 * /dev/null (an added or deleted file) is the empty program. Both sides resolve
 * `file(...)` against PATH, the file's place in the work tree.
 */
async function gitDriver(args: DiffArguments, io: CliIo): Promise<number> {
  if (args.paths.length !== 7) throw new UsageError(`diff --git takes the 7 arguments git passes an external diff driver, got ${args.paths.length}`);
  const [path, oldFile, , , newFile] = args.paths as [string, string, string, string, string];
  io.out(`dsc diff a/${path} b/${path}`);
  const side = async (file: string) => (file === "/dev/null" ? programVersion("").version : await readVersion(file, path, io, io.out));
  const [a, b] = [await side(oldFile), await side(newFile)];
  if (a === undefined || b === undefined) io.out("(no structural diff: a side has errors)");
  else report(diffPrograms(a, b, args), args.json, io);
  return 0;
}

/** `dsc diff --textconv FILE`: the file's structure as lines (describe.ts), for `diff.dsc.textconv`; 2 when it has errors. */
async function textconv(paths: readonly string[], io: CliIo): Promise<number> {
  if (paths.length !== 1) throw new UsageError(`diff --textconv takes one .ds file, got ${paths.length}`);
  const version = await readVersion(paths[0]!, paths[0]!, io);
  if (version === undefined) return TROUBLE;
  for (const line of describeProgram(version)) io.out(line);
  return 0;
}
