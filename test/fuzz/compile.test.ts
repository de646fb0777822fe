import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { fuzzInput, grammarProgram, mutatedExample, nastyText, wellTypedProgram } from "./inputs.js";
import { fuzz, FuzzPool } from "./pool.js";

/**
 * The fuzz properties in CI: a few thousand inputs under a fixed seed, each
 * compiled in a child process with a 2 GB heap and 10 s, must give no
 * exception, no internal error, no crash, no hang, and only diagnostics whose
 * spans, lines, columns and printed lines are right. `npm run fuzz` runs the
 * same over as many inputs as asked.
 */
const pool = new FuzzPool({ workers: 2, timeoutMs: 10_000, heapMb: 2048 });
afterAll(() => pool.close());

describe("fuzzing compile()", () => {
  it("holds its properties for 3,000 inputs of every kind (seed 13)", { timeout: 120_000 }, async () => {
    const summary = await fuzz(fc.sample(fuzzInput, { seed: 13, numRuns: 3000 }), pool);
    expect(summary.failures).toEqual([]);
    expect(summary.inputs).toBe(3000);
    // The mix must reach every pass: some inputs compile, most are refused.
    expect(summary.compiled).toBeGreaterThan(300);
    expect(summary.withDiagnostics).toBeGreaterThan(1000);
  });

  it("the pool reports a crash and a hang as such, and carries on", { timeout: 60_000 }, async () => {
    const crash = new FuzzPool({ workers: 1, timeoutMs: 3000, heapMb: 64 });
    try {
      // 64 MB of heap is too little for a network of 10 million connections: the child dies.
      const outcome = await crash.run(0, "graph g = scalable(watts_strogatz(100, 4, 0.5), scale=22000)\nnetwork N { input 2 structure g output 1 }");
      expect(["crash", "hang"]).toContain(outcome.kind);
      // The fresh child has the same small heap: an input refused by check (nothing emitted, no TypeScript loaded) fits.
      expect(await crash.run(1, "graph g = nope(3)")).toMatchObject({ kind: "done", diagnostics: 1, internal: 0, problems: [] });
    } finally {
      await crash.close();
    }
  });

  it.each([
    ["well-typed programs", wellTypedProgram],
    ["grammar-made programs", grammarProgram],
    ["mutated examples", mutatedExample],
    ["nasty text", nastyText],
  ])("draws %s deterministically from a seed", (_, arbitrary) => {
    expect(fc.sample(arbitrary, { seed: 5, numRuns: 20 })).toEqual(fc.sample(arbitrary, { seed: 5, numRuns: 20 }));
  });
});
