/**
 * Timing helpers for benchmarks. Machines are shared and noisy, so every
 * benchmark reports the median of several runs and a ratio against a
 * baseline measured in the same process, right beside it.
 */
export function medianSeconds(run: () => void, repeats = 5): number {
  run(); // warm-up: JIT, caches, lazily initialised backends
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function row(cells: readonly (string | number)[]): string {
  return `| ${cells.map((c) => (typeof c === "number" ? format(c) : c)).join(" | ")} |`;
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** This process's CPU time (user + system) for one run, in seconds: on a shared machine, wall time mostly measures the others. */
export function cpuSeconds(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/**
 * The least CPU time of `repeats` runs of each of `runs` in turn, each one warm-up and then its runs back to back: as a
 * PyTorch peer times each of its figures (bench/torch_peers.py), and as an application runs one model again and again.
 * Run by run interleaved (interleavedMinimum), each run found its caches holding the run before's model: WS 10,000's
 * forward pass after another copy's TensorFlow.js Adam step took 7.2-7.6 ms against 4.6-4.7 back to back.
 */
export function blockMinimum(runs: readonly (() => void)[], repeats = 15): number[] {
  return runs.map((run) => {
    run();
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < repeats; r++) best = Math.min(best, cpuSeconds(run));
    return best;
  });
}

/** The least CPU time of `repeats` runs of each of `runs`, interleaved so load changes hit every side alike (after one warm-up each). */
export function interleavedMinimum(runs: readonly (() => void)[], repeats = 15): number[] {
  runs.forEach((run) => run());
  const best = runs.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < repeats; r++) runs.forEach((run, i) => (best[i] = Math.min(best[i]!, cpuSeconds(run))));
  return best;
}
