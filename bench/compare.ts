/**
 * Build against build: `npm run bench fusion training -- --baseline DIR
 * [--current DIR] [--rounds N]` times, for every network `bench fusion` and
 * `bench training` measure, a baseline build (made by scripts/baseline.ts)
 * and the current one under the same conditions, and prints both figures and
 * current / baseline.
 *
 * TensorFlow.js has one engine per process, and two builds would register
 * kernels under the same names, so every measurement runs in a fresh child
 * process (bench/compare-worker.mjs) that loads one build's dist/ and uses
 * only its public API (compile, networkSpec, createNetwork, model.predict,
 * model.fit, model.parameters) — it keeps working across a runtime redesign.
 * Both builds get the same inputs, seeds, warm-up and repetitions (those of
 * bench/fusion.ts and bench/training.ts); rounds alternate the order
 * (baseline first, then current first, …) and run all networks before the
 * next round, so drift of the shared machine reaches both builds alike. A
 * figure is the median over rounds of each round's median; the ratio is
 * current median / baseline median, beside the spread (quartiles) of the
 * per-round paired ratios. Outputs are compared too: both builds, seeded
 * alike, should compute the same logits before and after training.
 *
 * The current build is by default a fresh copy of the working tree built in
 * /tmp/deepstruct-current (scripts/baseline.ts --working-tree), so a stale
 * dist/ of this checkout can never be measured by mistake; --current DIR
 * times any other prepared build (e.g. a second copy of the baseline, to see
 * the harness's noise floor).
 *
 * This module imports nothing of the runtime or the compiler.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describeBuild, makeBuild } from "../scripts/baseline.js";
import { row } from "./timing.js";

// What bench/fusion.ts and bench/training.ts measure (kept in step with them; checked against their text below).
const FUSION_GRAPHS: readonly (readonly [string, string])[] = [
  ["Watts–Strogatz 1,000", "watts_strogatz(n=1000, k=4, p=0.5, seed=1)"],
  ["Watts–Strogatz 3,000", "watts_strogatz(n=3000, k=4, p=0.5, seed=1)"],
  ["Watts–Strogatz 10,000", "watts_strogatz(n=10000, k=4, p=0.5, seed=1)"],
  ["balanced tree r=2 h=9", "balanced_tree(r=2, h=9)"],
  ["grid 32 × 32", "grid_2d(rows=32, cols=32)"],
];
const FUSION_BATCH = 256;
const BUILD_SIZES = [1000, 10000, 100000] as const;
const fusionSource = (graph: string): string => `graph g = ${graph}\nnetwork N { input 64 structure g output 10 }`;
const wattsStrogatz = (n: number): string => `watts_strogatz(n=${n}, k=4, p=0.5, seed=1)`;
const TRAINING_EXAMPLE = new URL("../examples/small_world.ds", import.meta.url);
const TRAINING_SAMPLES = 2048;
const TRAINING_BATCH = 32;

// Repetitions inside one process (the same for both builds). More than the
// benchmarks' own (fusion: forward 7 after 3, step 3 after 1; training: epochs 3 after 1; builds:
// one, cold): a fresh process starts cold — forward passes keep getting
// faster for some 50 calls while V8 and WebAssembly tier up — and its start
// costs more than the timing, so each process warms up and times enough for
// a steady median.
const FORWARD = { warmup: 50, repeats: 51 } as const;
const STEP = { warmup: 20, repeats: 41 } as const;
const BUILD = { 1000: { warmup: 1, repeats: 9 }, 10000: { warmup: 1, repeats: 9 }, 100000: { warmup: 1, repeats: 3 } } as const;
const EPOCHS = { warmup: 1, repeats: 5 } as const;

/** Rounds by default: fusion about 6 minutes and training 2 on a quiet 2-CPU machine. */
export const DEFAULT_ROUNDS = { fusion: 10, training: 16 } as const;
export const DEFAULT_CURRENT_DIR = "/tmp/deepstruct-current";
const WORKER = fileURLToPath(new URL("./compare-worker.mjs", import.meta.url));
/** A ratio above this fails the redesign's bar. */
const BAR = 1.05;

export interface CompareOptions {
  readonly baseline: string;
  /** A prepared build; default: the working tree, copied and built in /tmp/deepstruct-current. */
  readonly current?: string;
  /** Rounds per build (default DEFAULT_ROUNDS). */
  readonly rounds?: number;
}

type Build = "baseline" | "current";
type WorkerResult = Record<string, unknown> & { readonly parameters: number; readonly before?: number[]; readonly after?: number[] };
interface Task {
  readonly label: string;
  readonly task: Record<string, unknown>;
}

let currentBuild: string | undefined;

function builds(options: CompareOptions): Record<Build, string> {
  const baseline = checkedBuild(options.baseline, "--baseline");
  if (options.current !== undefined) return { baseline, current: checkedBuild(options.current, "--current") };
  if (currentBuild === undefined) {
    try {
      makeBuild({ workingTree: true, out: DEFAULT_CURRENT_DIR });
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\n\nThe working tree does not build, so there is no current build to time. Pass --current DIR with a build made by scripts/baseline.ts.`,
      );
    }
    currentBuild = DEFAULT_CURRENT_DIR;
  }
  return { baseline, current: currentBuild };
}

function checkedBuild(dir: string, flag: string): string {
  const full = resolve(dir);
  for (const entry of ["dist/src/index.js", "dist/runtime/index.js"]) {
    if (!existsSync(join(full, entry))) throw new Error(`${flag} ${dir}: no ${entry} (make one with npx tsx scripts/baseline.ts [REV] ${dir})`);
  }
  return full;
}

function runWorker(dir: string, task: Record<string, unknown>): Promise<WorkerResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WORKER, dir, JSON.stringify(task)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const line = stdout.split("\n").find((l) => l.startsWith("@@result "));
      if (code === 0 && line !== undefined) resolvePromise(JSON.parse(line.slice("@@result ".length)) as WorkerResult);
      else
        reject(
          new Error(`compare: the worker for ${dir} (${String(task.kind)}) failed (${signal ?? `exit ${code}`}):\n${(stderr || stdout).trim().split("\n").slice(-20).join("\n")}`),
        );
    });
  });
}

/** Every task for both builds, `rounds` times; odd rounds start with the current build. */
async function interleave(name: string, dirs: Record<Build, string>, tasks: readonly Task[], rounds: number): Promise<Map<string, Record<Build, WorkerResult[]>>> {
  const results = new Map(tasks.map((t) => [t.label, { baseline: [] as WorkerResult[], current: [] as WorkerResult[] }]));
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    const order: Build[] = r % 2 === 0 ? ["baseline", "current"] : ["current", "baseline"];
    for (const { label, task } of tasks) {
      const figures: string[] = [];
      for (const build of order) {
        const result = await runWorker(dirs[build], task);
        results.get(label)![build].push(result);
        figures.push(`${build} ${brief(result)}`);
      }
      console.error(`compare ${name}: round ${r + 1}/${rounds} ${label}: ${figures.join("; ")}`);
    }
    console.error(`compare ${name}: round ${r + 1}/${rounds} done, ${((performance.now() - start) / 1000).toFixed(0)} s`);
  }
  const raw = join(tmpdir(), `deepstruct-compare-${name}.json`);
  writeFileSync(raw, JSON.stringify({ dirs, rounds, tasks, results: Object.fromEntries(results) }));
  console.error(`compare ${name}: every worker's result in ${raw}`);
  return results;
}

/** A worker's timings in ms, for the progress lines. */
function brief(result: WorkerResult): string {
  return ["forward", "step", "build"]
    .filter((k) => typeof result[k] === "number")
    .map((k) => `${k} ${((result[k] as number) * 1000).toPrecision(3)}`)
    .join(" ");
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function quartiles(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    const i = q * (sorted.length - 1);
    const lo = Math.floor(i);
    return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (i - lo);
  };
  return [at(0.25), at(0.75)];
}

/** Baseline and current figure (in ms), ratio, paired-ratio quartiles, the fast quartiles' ratio and the bar, as table cells. */
function comparison(runs: Record<Build, WorkerResult[]>, metric: string, scale: number): (string | number)[] {
  const values = (build: Build, key: string): number[] => runs[build].map((r) => (r[key] as number) * scale);
  const b = values("baseline", metric);
  const c = values("current", metric);
  const ratio = median(c) / median(b);
  const [q1, q3] = quartiles(c.map((value, i) => value / b[i]!));
  const fast = median(values("current", `${metric}Q25`)) / median(values("baseline", `${metric}Q25`));
  return [median(b), median(c), ratio.toFixed(3), `${q1.toFixed(3)}–${q3.toFixed(3)}`, fast.toFixed(3), ratio <= BAR ? "yes" : "**no**"];
}

/** Largest |difference| of the two builds' logits (first round; both are seeded alike). */
function agreement(runs: Record<Build, WorkerResult[]>): string {
  const maxDelta = (key: "before" | "after"): number => {
    const b = runs.baseline[0]![key];
    const c = runs.current[0]![key];
    if (b === undefined || c === undefined) return Number.NaN;
    if (b.length !== c.length) return Number.POSITIVE_INFINITY;
    return b.reduce((m, v, i) => Math.max(m, Math.abs(v - c[i]!)), 0);
  };
  return `${maxDelta("before").toExponential(1)} / ${maxDelta("after").toExponential(1)}`;
}

function parameters(runs: Record<Build, WorkerResult[]>): string {
  const b = runs.baseline[0]!.parameters;
  const c = runs.current[0]!.parameters;
  return b === c ? b.toLocaleString("en-US") : `${b.toLocaleString("en-US")} → ${c.toLocaleString("en-US")}`;
}

function header(name: string, dirs: Record<Build, string>, rounds: number, what: string): string[] {
  return [
    `baseline ${describeBuild(dirs.baseline)}`,
    `current  ${describeBuild(dirs.current)}`,
    `${name}: ${what}; ${rounds} rounds, each build once per round per network in a fresh process, alternating which build goes first (node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})`,
    `figures: median over rounds of each process's median; ratio = current / baseline; paired: quartiles of the rounds' current / baseline; fast quartile: the same ratio of each process's 25th percentile (less moved by interference); bar: ratio ≤ ${BAR}`,
    "",
  ];
}

/** Warns when bench/fusion.ts or bench/training.ts no longer measure what this file repeats of them. */
function checkInStep(): string[] {
  const warnings: string[] = [];
  const fusion = readFileSync(new URL("./fusion.ts", import.meta.url), "utf8");
  for (const [, graph] of FUSION_GRAPHS) if (!fusion.includes(graph)) warnings.push(`warning: bench/fusion.ts no longer measures ${graph}; update bench/compare.ts`);
  const training = readFileSync(new URL("./training.ts", import.meta.url), "utf8");
  if (!training.includes("small_world.ds") || !training.includes(`SAMPLES = ${TRAINING_SAMPLES}`) || !training.includes(`BATCH = ${TRAINING_BATCH}`)) {
    warnings.push("warning: bench/training.ts no longer measures what bench/compare.ts repeats of it; update bench/compare.ts");
  }
  for (const w of warnings) console.error(w);
  return warnings;
}

export async function compareFusion(options: CompareOptions): Promise<string[]> {
  const dirs = builds(options);
  const rounds = options.rounds ?? DEFAULT_ROUNDS.fusion;
  const warnings = checkInStep();
  const start = performance.now();
  const fusionTasks: Task[] = FUSION_GRAPHS.map(([label, graph]) => ({
    label,
    task: {
      kind: "fusion",
      source: fusionSource(graph),
      batch: FUSION_BATCH,
      forwardWarmup: FORWARD.warmup,
      forwardRepeats: FORWARD.repeats,
      stepWarmup: STEP.warmup,
      stepRepeats: STEP.repeats,
    },
  }));
  const buildTasks: Task[] = BUILD_SIZES.map((n) => ({ label: `build ${n}`, task: { kind: "build", source: fusionSource(wattsStrogatz(n)), ...BUILD[n] } }));
  const results = await interleave("fusion", dirs, [...fusionTasks, ...buildTasks], rounds);
  const lines = [
    ...header(
      "fusion",
      dirs,
      rounds,
      `input 64 → structure → output 10, WASM, batch ${FUSION_BATCH}, execution auto, seed 0; per process: forward median of ${FORWARD.repeats} after ${FORWARD.warmup}, SGD step median of ${STEP.repeats} after ${STEP.warmup}, createNetwork median of ${BUILD_SIZES.map((n) => BUILD[n].repeats).join(" / ")} after ${BUILD[1000].warmup}`,
    ),
    ...warnings,
    row(["graph", "measure", "parameters", "baseline (ms)", "current (ms)", "current / baseline", "paired", "fast quartile", `≤ ${BAR}`, "max |Δ logits| before / after"]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  for (const { label } of fusionTasks) {
    const runs = results.get(label)!;
    lines.push(row([label, "forward", parameters(runs), ...comparison(runs, "forward", 1000), agreement(runs)]));
    lines.push(row([label, "step", parameters(runs), ...comparison(runs, "step", 1000), ""]));
  }
  for (const [i, n] of BUILD_SIZES.entries()) {
    const runs = results.get(buildTasks[i]!.label)!;
    lines.push(row([`Watts–Strogatz ${n.toLocaleString("en-US")}`, "build", parameters(runs), ...comparison(runs, "build", 1000), ""]));
  }
  lines.push("", `${((performance.now() - start) / 1000).toFixed(0)} s for ${rounds} rounds × 2 builds × ${fusionTasks.length + buildTasks.length} measurements`);
  return lines;
}

export async function compareTraining(options: CompareOptions): Promise<string[]> {
  const dirs = builds(options);
  const rounds = options.rounds ?? DEFAULT_ROUNDS.training;
  const warnings = checkInStep();
  const start = performance.now();
  const source = readFileSync(TRAINING_EXAMPLE, "utf8");
  const task: Task = { label: "SmallWorld", task: { kind: "training", source, samples: TRAINING_SAMPLES, batch: TRAINING_BATCH, ...EPOCHS } };
  const results = await interleave("training", dirs, [task], rounds);
  const runs = results.get(task.label)!;
  const steps = runs.baseline[0]!.steps as number;
  return [
    ...header(
      "training",
      dirs,
      rounds,
      `examples/small_world.ds, model.fit of one epoch of ${TRAINING_SAMPLES} random samples (${steps} steps of ${TRAINING_BATCH}, Adam, no shuffle), WASM, seed 0; per process: median of ${EPOCHS.repeats} epochs after ${EPOCHS.warmup}`,
    ),
    ...warnings,
    row(["model", "parameters", "baseline (ms per step)", "current (ms per step)", "current / baseline", "paired", "fast quartile", `≤ ${BAR}`, "max |Δ logits| before / after"]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]),
    row(["dsc SmallWorld", parameters(runs), ...comparison(runs, "step", 1000), agreement(runs)]),
    "",
    `${((performance.now() - start) / 1000).toFixed(0)} s for ${rounds} rounds × 2 builds`,
  ];
}
