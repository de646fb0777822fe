/**
 * `python3 ARGS…` run in a forked copy of one Python that has imported torch
 * already (warm-python.py), rather than in a new interpreter that imports it
 * again: the PyTorch tests start Python some 150 times, 1–2 s of CPU each
 * for `import torch` alone. A run still starts clean — a fork of a process
 * that has only imported torch, with its own argv, working directory,
 * environment, stdout, stderr and exit status — and is killed if the caller's
 * timeout kills the client. One server per test process, started on first
 * use and stopped when the process exits. DS_COLD_PYTHON=1 starts a new
 * interpreter every time instead (the results must not differ).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./warm-python.py", import.meta.url));
const EXEC = fileURLToPath(new URL("./warm-python-exec", import.meta.url));

export interface PythonRunOptions {
  readonly timeout: number;
  readonly maxBuffer: number;
}

let server: { readonly process: ChildProcess; readonly socket: string } | undefined;

/** The running server's socket path, starting a server first if there is none (or it has died). */
function serverSocket(python: string): string {
  if (server !== undefined && server.process.exitCode === null && server.process.signalCode === null) return server.socket;
  const socket = join(tmpdir(), `ds-warm-python-${process.pid}-${Date.now()}.sock`);
  const child = spawn(python, [SCRIPT, "serve", socket], { stdio: ["ignore", "ignore", "inherit"] });
  child.unref();
  process.once("exit", () => child.kill());
  server = { process: child, socket };
  return socket;
}

/** Runs `python ARGS…` and returns what spawnSync would for it: stdout, stderr, status or signal. */
export function runPythonProcess(python: string, args: readonly string[], options: PythonRunOptions): SpawnSyncReturns<string> {
  const spawnOptions = { encoding: "utf8" as const, timeout: options.timeout, maxBuffer: options.maxBuffer };
  if (process.env.DS_COLD_PYTHON === "1") return spawnSync(python, [...args], spawnOptions);
  // -S: the client needs only the standard library, not site-packages.
  return spawnSync(python, ["-S", SCRIPT, "run", serverSocket(python), ...args], spawnOptions);
}

/**
 * The environment that makes torchrun start its workers in the warm Python (torchrun runs
 * `$PYTHON_EXEC -u SCRIPT …`); none with DS_COLD_PYTHON=1.
 */
export function torchrunWorkersWarm(python: string): Record<string, string> {
  if (process.env.DS_COLD_PYTHON === "1") return {};
  return { PYTHON_EXEC: EXEC, DS_WARM_PYTHON: python, DS_WARM_PYTHON_SOCKET: serverSocket(python) };
}
