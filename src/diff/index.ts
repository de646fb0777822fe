/**
 * `dsc diff`: what differs in structure between two `.ds` files (graphs and
 * networks matched by name) or two run folders (masks and weights per block).
 * Functions return data (types.ts, the `--json` shape); format.ts writes text.
 */
export { diffPrograms, isEmptyDiff, type DiffOptions, type ProgramVersion } from "./programs.js";
export { diffRuns, isEmptyRunDiff, type RunBlock, type RunVersion } from "./runs.js";
export { programVersion } from "./version.js";
export { describeProgram } from "./describe.js";
export { formatProgramDiff, formatRunDiff, NO_CHANGES } from "./format.js";
export { DEFAULT_LIMIT } from "./listed.js";
export type * from "./types.js";

/** Reads a run folder for `diffRuns`; the runtime loads on first call. */
export async function loadRun(dir: string): Promise<import("./runs.js").RunVersion> {
  return (await import("./run-files.js")).loadRun(dir);
}
