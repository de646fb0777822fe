/**
 * `npm run fuzz -- --count N [--seed S] [--workers W] [--timeout MS] [--heap MB]`:
 * a long fuzzing campaign over compile(), each input in a child process
 * (test/fuzz/pool.ts). Prints the counts of inputs, diagnostics, internal
 * errors, property violations, crashes and hangs, the slowest inputs and the
 * peak memory; exits 1 if anything failed.
 */
import fc from "fast-check";
import { parseArgs } from "node:util";
import { fuzzInput } from "../test/fuzz/inputs.js";
import { fuzz, FuzzPool, type Summary } from "../test/fuzz/pool.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    seed: { type: "string", default: "13" },
    workers: { type: "string", default: "2" },
    timeout: { type: "string", default: "10000" },
    heap: { type: "string", default: "2048" },
  },
});
const [count, seed, workers, timeoutMs, heapMb] = [values.count, values.seed, values.workers, values.timeout, values.heap].map(Number) as [number, number, number, number, number];

/** Inputs drawn lazily in batches, so a long campaign never holds them all. */
function* inputs(): Generator<string> {
  const batch = 1000;
  for (let drawn = 0; drawn < count; drawn += batch) {
    yield* fc.sample(fuzzInput, { seed: seed + drawn, numRuns: Math.min(batch, count - drawn) });
  }
}

const started = performance.now();
let lastPrint = 0;
const progress = (s: Summary): void => {
  if (performance.now() - lastPrint < 30_000) return;
  lastPrint = performance.now();
  console.log(
    `… ${s.inputs}/${count} inputs, ${s.internalErrors} internal errors, ${s.violations} violations, ${s.crashes} crashes, ${s.hangs} hangs, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
};
const pool = new FuzzPool({ workers, timeoutMs, heapMb });
const summary = await fuzz(inputs(), pool, progress);
await pool.close();

const show = (source: string): string => JSON.stringify(source.length > 160 ? `${source.slice(0, 160)}…` : source);
console.log(`fuzz: seed ${seed}, ${workers} workers, ${timeoutMs} ms per input, ${heapMb} MB heap each, ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`inputs            ${summary.inputs}`);
console.log(`compiled          ${summary.compiled}`);
console.log(`with diagnostics  ${summary.withDiagnostics} (${summary.diagnostics} diagnostics)`);
console.log(`internal errors   ${summary.internalErrors}`);
console.log(`violations        ${summary.violations} (spans outside the text, line:col off, caret line wrong, exceptions)`);
console.log(`crashes           ${summary.crashes}`);
console.log(`hangs             ${summary.hangs} (over ${timeoutMs} ms)`);
console.log(`peak memory       ${(pool.peakRssBytes / 2 ** 20).toFixed(0)} MB resident (largest child after an input)`);
console.log("slowest inputs:");
for (const s of summary.slowest) console.log(`  ${s.ms.toFixed(0).padStart(6)} ms  #${s.id}  ${show(s.source)}`);
for (const f of summary.failures) console.log(`FAILED #${f.id} ${f.kind}: ${f.detail}\n  ${show(f.source)}`);
process.exitCode = summary.internalErrors + summary.violations + summary.crashes + summary.hangs > 0 ? 1 : 0;
