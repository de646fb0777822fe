/**
 * Sets a build of the project aside, for `npm run bench fusion|training --
 * --baseline DIR` to time against:
 *
 *   npx tsx scripts/baseline.ts [REV] [DIR]        REV default HEAD, DIR default /tmp/deepstruct-baseline
 *   npx tsx scripts/baseline.ts --working-tree DIR the working tree as it is now, uncommitted changes included
 *
 * It extracts the commit with `git archive REV | tar -x` (or copies the
 * working tree's tracked and untracked, not ignored, files), links
 * DIR/node_modules to this checkout's node_modules — so every build runs on
 * the one installed TensorFlow.js — and builds it with its own
 * `tsc -p tsconfig.build.json` into DIR/dist. DIR/.baseline.json records
 * what was built. Nothing touches the repository: no worktree, no index, no
 * refs. A DIR that exists is replaced only if it holds a .baseline.json
 * (made by this script); anything else there is refused.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const DEFAULT_BASELINE_DIR = "/tmp/deepstruct-baseline";
const MARKER = ".baseline.json";

/** The checkout this script belongs to. */
export const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface BuildRecord {
  /** What was asked for: a revision, or "working tree". */
  readonly source: string;
  /** The commit (for the working tree: HEAD, with `dirty` the files changed against it). */
  readonly commit: string;
  readonly subject: string;
  readonly dirty?: readonly string[];
  readonly builtAt: string;
}

export interface MakeBuildOptions {
  /** A revision to extract; ignored when `workingTree` is set. Default `HEAD`. */
  readonly rev?: string;
  /** Copy the working tree (uncommitted changes included) instead of a commit. */
  readonly workingTree?: boolean;
  /** Default /tmp/deepstruct-baseline. */
  readonly out?: string;
  /** Passed the build's progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

function git(args: readonly string[], input?: Buffer): Buffer {
  const result = spawnSync("git", args, { cwd: REPOSITORY, input, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString().trim() || `exit ${result.status}`}`);
  return result.stdout;
}

/** Extracts, links and builds; returns the build's record. Throws (with tsc's output) if it does not build. */
export function makeBuild(options: MakeBuildOptions = {}): BuildRecord {
  const out = resolve(options.out ?? DEFAULT_BASELINE_DIR);
  const log = options.log ?? ((line: string) => console.error(line));
  if (out === REPOSITORY || REPOSITORY.startsWith(`${out}/`)) throw new Error(`baseline: ${out} would contain this checkout`);
  if (existsSync(out)) {
    if (!existsSync(join(out, MARKER))) throw new Error(`baseline: ${out} exists and was not made by scripts/baseline.ts (no ${MARKER}); remove it or choose another directory`);
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  // The marker goes in first, so a half-made directory can be replaced by the next run.
  writeFileSync(join(out, MARKER), "{}\n");

  const head = git(["rev-parse", "--verify", "HEAD^{commit}"]).toString().trim();
  let record: BuildRecord;
  if (options.workingTree === true) {
    const files = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
      .toString()
      .split("\0")
      .filter((f) => f !== "");
    let copied = 0;
    for (const file of files) {
      const from = join(REPOSITORY, file);
      if (!existsSync(from)) continue; // deleted in the working tree
      mkdirSync(dirname(join(out, file)), { recursive: true });
      copyFileSync(from, join(out, file));
      copied++;
    }
    const dirty = git(["status", "--porcelain", "--untracked-files=all"])
      .toString()
      .split("\n")
      .filter((l) => l !== "");
    record = { source: "working tree", commit: head, subject: subject(head), dirty, builtAt: "" };
    log(`baseline: copied ${copied} files of the working tree (HEAD ${head.slice(0, 10)}, ${dirty.length} changed) to ${out}`);
  } else {
    const rev = options.rev ?? "HEAD";
    const commit = git(["rev-parse", "--verify", `${rev}^{commit}`])
      .toString()
      .trim();
    const tar = git(["archive", "--format=tar", commit]);
    const untar = spawnSync("tar", ["-x", "-C", out], { input: tar, maxBuffer: 1 << 30 });
    if (untar.status !== 0) throw new Error(`baseline: tar -x: ${untar.stderr.toString().trim()}`);
    record = { source: rev, commit, subject: subject(commit), builtAt: "" };
    log(`baseline: extracted ${rev} (${commit.slice(0, 10)} ${record.subject}) to ${out}`);
  }

  symlinkSync(realpathSync(join(REPOSITORY, "node_modules")), join(out, "node_modules"), "dir");
  const start = performance.now();
  const tsc = spawnSync(join(out, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: out, encoding: "utf8" });
  if (tsc.status !== 0) {
    throw new Error(`baseline: tsc -p tsconfig.build.json failed in ${out} (exit ${tsc.status ?? tsc.signal}):\n${(tsc.stdout + tsc.stderr).trim()}`);
  }
  for (const entry of ["dist/src/index.js", "dist/runtime/index.js"]) {
    if (!existsSync(join(out, entry))) throw new Error(`baseline: the build made no ${entry} in ${out}`);
  }
  record = { ...record, builtAt: new Date().toISOString() };
  writeFileSync(join(out, MARKER), `${JSON.stringify(record, null, 2)}\n`);
  log(`baseline: built ${out}/dist in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return record;
}

/** The record of a build made by this script, or undefined if DIR holds none. */
export function readBuildRecord(dir: string): BuildRecord | undefined {
  const file = join(dir, MARKER);
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, "utf8")) as Partial<BuildRecord>;
  return record.commit === undefined ? undefined : (record as BuildRecord);
}

/** A build's one-line description. */
export function describeBuild(dir: string): string {
  const record = readBuildRecord(dir);
  if (record === undefined) return `${dir} (not made by scripts/baseline.ts)`;
  const what =
    record.source === "working tree"
      ? `working tree on ${record.commit.slice(0, 10)} (${record.dirty?.length ?? 0} files changed)`
      : `${record.source} = ${record.commit.slice(0, 10)}`;
  return `${dir}: ${what}, built ${record.builtAt}`;
}

function subject(commit: string): string {
  return git(["log", "-1", "--format=%s", commit]).toString().trim();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "usage: npx tsx scripts/baseline.ts [REV] [DIR]   (REV default HEAD, DIR default /tmp/deepstruct-baseline)\n       npx tsx scripts/baseline.ts --working-tree [DIR]",
    );
    process.exit(0);
  }
  const workingTree = args.includes("--working-tree");
  const positional = args.filter((a) => a !== "--working-tree");
  if (positional.some((a) => a.startsWith("-")) || positional.length > (workingTree ? 1 : 2)) {
    console.error("usage: npx tsx scripts/baseline.ts [REV] [DIR] | --working-tree [DIR]");
    process.exit(2);
  }
  const [rev, out] = workingTree ? [undefined, positional[0]] : [positional[0], positional[1]];
  try {
    makeBuild({ ...(rev === undefined ? {} : { rev }), ...(out === undefined ? {} : { out }), workingTree });
    console.log(describeBuild(resolve(out ?? DEFAULT_BASELINE_DIR)));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
