/**
 * One thread against two for the native part (its one pool, native/pool.c:
 * products and graph kernel alike), in one run: the sgemm 256 × 1024 × 1024
 * and Watts–Strogatz 10,000 as the structure of 784 → 10, batch 256, forward
 * pass and Adam step, ours only. One network; the thread count alternates
 * in rounds of a few runs (1, 2, 2, 1, …), so a change of the machine's load
 * reaches both sides alike. Each side's figures: its least and median wall time (what
 * a second thread gains: on a shared machine the least is the run the others
 * disturbed least); its least critical path (the main thread's CPU time with
 * each pool job's share replaced by the job's longest thread's CPU: what the
 * run would take on free cores, but for the workers' wake-ups, whatever the
 * others' load does to the wall clock; the addon's criticalSeconds); and its
 * least process CPU time (what it costs: CPU adds up over threads). Ratios
 * from the same run.
 */
import { loadavg } from "node:os";
import { tf, useBackend } from "../runtime/index.js";
import { nativeStatus, setNativeThreads } from "../runtime/kernels/native/index.js";
import { forwardAndStepRuns, nativePeakRun, wattsStrogatzNetwork } from "./network-timing.js";
import { row } from "./timing.js";

const THREADS = [1, 2] as const;

interface Side {
  readonly wall: number[];
  readonly critical: number[];
  readonly cpu: number[];
}

/** Seconds of wall, of the critical path and of this process's CPU for one run. */
function timed(run: () => void, criticalSeconds: () => number): [number, number, number] {
  const [start, critical, cpu] = [performance.now(), criticalSeconds(), process.cpuUsage()];
  run();
  const used = process.cpuUsage(cpu);
  return [(performance.now() - start) / 1000, criticalSeconds() - critical, (used.user + used.system) / 1e6];
}

/**
 * `rounds` rounds, each of `perRound` timed runs on each thread count after `warmup` untimed ones, the order of the two
 * alternating by round. The warm-up after each switch matters: a second thread that starts on a core whose caches hold
 * none of the network runs its pieces slower (every run alternating, two threads' forward critical path was 8.8 ms at load
 * 3.3, against 6.1–7.5 ms in runs of eight).
 */
function alternating(run: () => void, warmup: number, rounds: number, perRound: number, criticalSeconds: () => number): Side[] {
  const sides = THREADS.map((): Side => ({ wall: [], critical: [], cpu: [] }));
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? [0, 1] : [1, 0]) {
      setNativeThreads(THREADS[s]!);
      for (let i = 0; i < warmup; i++) run();
      for (let i = 0; i < perRound; i++) {
        const [wall, critical, cpu] = timed(run, criticalSeconds);
        sides[s]!.wall.push(wall);
        sides[s]!.critical.push(critical);
        sides[s]!.cpu.push(cpu);
      }
    }
  }
  return sides;
}

const least = (values: readonly number[]): number => Math.min(...values);
const middle = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (seconds: number): string => (seconds * 1000).toFixed(2);
const ratio = (one: number, two: number): string => `${(one / two).toFixed(2)}×`;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

export async function benchThreads(): Promise<string[]> {
  await useBackend("wasm");
  const status = nativeStatus();
  if (!status.available) return [`no native part (${status.reason}): nothing to thread`];
  const startLoad = load();
  const x = tf.randomUniform([256, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: 256 }, (_, i) => (i * 7) % 10);
  const model = await wattsStrogatzNetwork(10000);
  const runs = forwardAndStepRuns({ forward: (input) => model.predict(input) as tf.Tensor2D, variables: model.parameters.map((p) => p.variable) }, x, labels);
  const critical = status.blas.criticalSeconds?.bind(status.blas) ?? (() => NaN);
  const peak = alternating(nativePeakRun(), 3, 6, 4, critical);
  const forward = alternating(runs.forward, 2, 6, 3, critical);
  const step = alternating(runs.step, 2, 5, 2, critical);
  runs.dispose();
  model.dispose();
  x.dispose();
  setNativeThreads(1);
  const gflops = (s: Side): string => ((2 * 256 * 1024 * 1024) / least(s.wall) / 1e9).toFixed(1);
  const figures = (s: Side): string => `${ms(least(s.wall))} / ${ms(middle(s.wall))} / ${ms(least(s.critical))} / ${ms(least(s.cpu))}`;
  const gains = (sides: Side[], of: (values: readonly number[]) => number, key: "wall" | "critical" = "wall"): string => ratio(of(sides[0]![key]), of(sides[1]![key]));
  return [
    `load average ${startLoad} at the start, ${load()} at the end; ${status.blas.describe()}; each side ${peak[0]!.wall.length} sgemm, ${forward[0]!.wall.length} forward, ${step[0]!.wall.length} step runs`,
    "",
    row([
      "threads",
      "sgemm 256 × 1024 × 1024, least wall (GFLOP/s)",
      "WS 10,000 forward: least / median wall, least critical path / process CPU (ms)",
      "WS 10,000 Adam step: least / median wall, least critical path / process CPU (ms)",
    ]),
    row(["---", "---", "---", "---"]),
    ...THREADS.map((t, s) => row([t, gflops(peak[s]!), figures(forward[s]!), figures(step[s]!)])),
    row(["2 against 1, least wall", gains(peak, least), gains(forward, least), gains(step, least)]),
    row(["2 against 1, median wall", gains(peak, middle), gains(forward, middle), gains(step, middle)]),
    row(["2 against 1, least critical path", gains(peak, least, "critical"), gains(forward, least, "critical"), gains(step, least, "critical")]),
  ];
}
