import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { WorkerReply } from "./worker.js";

/** The worker's first message, once its modules are loaded (worker.ts). */
const READY = "ready";

export interface PoolOptions {
  /** Child processes compiling at once. */
  readonly workers: number;
  /** An input still compiling after this long is a hang: its process is killed. */
  readonly timeoutMs: number;
  /** Heap of each child (--max-old-space-size), in MB: an input that needs more aborts its process and counts as a crash. */
  readonly heapMb: number;
}

export type Outcome =
  | ({ readonly kind: "done" } & WorkerReply)
  | { readonly kind: "crash"; readonly id: number; readonly reason: string; readonly ms: number }
  | { readonly kind: "hang"; readonly id: number; readonly ms: number };

interface Slot {
  child: ChildProcess;
  busy?: { id: number; started: number; timer: NodeJS.Timeout; settle: (outcome: Outcome) => void };
  /** Peak resident memory the process reached, in bytes (its whole life). */
  peakRss: number;
}

const workerPath = join(import.meta.dirname, "worker.ts");

/**
 * Child processes that compile one input each at a time. A child that dies
 * (an abort, out of memory, a stack overflow outside compile's try) is
 * recorded as a crash with the input it held, a child past the time budget
 * is killed as a hang, and either is replaced by a fresh one.
 */
export class FuzzPool {
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  /** Largest resident memory any child reached (from its exit or its last answer). */
  peakRssBytes = 0;

  get workers(): number {
    return this.options.workers;
  }

  constructor(private readonly options: PoolOptions) {
    for (let i = 0; i < options.workers; i++) this.spawn();
  }

  run(id: number, source: string): Promise<Outcome> {
    return this.acquire().then(
      (slot) =>
        new Promise<Outcome>((resolve) => {
          const started = performance.now();
          const timer = setTimeout(() => {
            this.replace(slot);
            resolve({ kind: "hang", id, ms: performance.now() - started });
          }, this.options.timeoutMs);
          slot.busy = { id, started, timer, settle: resolve };
          slot.child.send({ id, source });
        }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.child.removeAllListeners("exit");
            slot.child.once("exit", () => resolve());
            slot.child.kill();
          }),
      ),
    );
  }

  private spawn(): Slot {
    const child = fork(workerPath, [], {
      execArgv: ["--import", "tsx", `--max-old-space-size=${this.options.heapMb}`],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    const slot: Slot = { child, peakRss: 0 };
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    // A child takes inputs once it says its modules are loaded, so loading a
    // fresh one on a busy machine never counts against an input's budget.
    child.on("message", (reply: WorkerReply | typeof READY) => {
      if (reply === READY) return this.release(slot);
      const busy = slot.busy;
      if (busy === undefined || busy.id !== reply.id) return;
      clearTimeout(busy.timer);
      slot.busy = undefined;
      slot.peakRss = Math.max(slot.peakRss, reply.rssBytes);
      this.peakRssBytes = Math.max(this.peakRssBytes, reply.rssBytes);
      this.release(slot);
      busy.settle({ kind: "done", ...reply });
    });
    child.on("exit", (code, signal) => {
      const busy = slot.busy;
      if (busy === undefined) {
        // Died while idle or still loading: take it out of the idle list and start another.
        const at = this.idle.indexOf(slot);
        if (at >= 0) this.idle.splice(at, 1);
        this.replace(slot);
        return;
      }
      clearTimeout(busy.timer);
      slot.busy = undefined;
      const tail = stderr.trim().split("\n").slice(-3).join(" | ");
      this.replace(slot);
      busy.settle({ kind: "crash", id: busy.id, reason: `exit ${code ?? ""} ${signal ?? ""}: ${tail}`.trim(), ms: performance.now() - busy.started });
    });
    this.slots.push(slot);
    return slot;
  }

  /** Kills a slot's process and puts a fresh one in its place. */
  private replace(slot: Slot): void {
    slot.busy = undefined;
    slot.child.removeAllListeners("exit");
    slot.child.kill("SIGKILL");
    this.slots.splice(this.slots.indexOf(slot), 1);
    this.spawn();
  }

  private acquire(): Promise<Slot> {
    const slot = this.idle.pop();
    return slot ? Promise.resolve(slot) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }
}

export interface Summary {
  inputs: number;
  /** Inputs with at least one diagnostic, and diagnostics in all. */
  withDiagnostics: number;
  diagnostics: number;
  compiled: number;
  internalErrors: number;
  violations: number;
  crashes: number;
  hangs: number;
  failures: { id: number; kind: string; detail: string; source: string }[];
  slowest: { id: number; ms: number; source: string }[];
}

/** Runs every input through the pool, `workers` at a time, and tallies the outcomes. */
export async function fuzz(inputs: Iterable<string>, pool: FuzzPool, onProgress?: (summary: Summary) => void): Promise<Summary> {
  const summary: Summary = { inputs: 0, withDiagnostics: 0, diagnostics: 0, compiled: 0, internalErrors: 0, violations: 0, crashes: 0, hangs: 0, failures: [], slowest: [] };
  const running = new Set<Promise<void>>();
  let id = 0;
  for (const source of inputs) {
    const task = pool.run(id++, source).then((outcome) => {
      tally(summary, outcome, source);
      if (onProgress) onProgress(summary);
    });
    running.add(task);
    void task.then(() => running.delete(task));
    if (running.size >= 4 * pool.workers) await Promise.race(running);
  }
  await Promise.all(running);
  return summary;
}

function tally(summary: Summary, outcome: Outcome, source: string): void {
  summary.inputs++;
  const keep = (kind: string, detail: string): void => void (summary.failures.length < 50 && summary.failures.push({ id: outcome.id, kind, detail, source }));
  if (outcome.kind === "done") {
    summary.diagnostics += outcome.diagnostics;
    if (outcome.diagnostics > 0) summary.withDiagnostics++;
    else summary.compiled++;
    summary.internalErrors += outcome.internal;
    summary.violations += outcome.problems.length - outcome.internal;
    if (outcome.problems.length > 0) keep("property", outcome.problems.slice(0, 3).join("; "));
  } else if (outcome.kind === "crash") {
    summary.crashes++;
    keep("crash", outcome.reason);
  } else {
    summary.hangs++;
    keep("hang", `still compiling after ${Math.round(outcome.ms)} ms`);
  }
  summary.slowest.push({ id: outcome.id, ms: outcome.ms, source });
  summary.slowest.sort((a, b) => b.ms - a.ms);
  summary.slowest.length = Math.min(summary.slowest.length, 10);
}
