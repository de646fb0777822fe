/**
 * A save killed at any moment (SIGKILL: no cleanup runs) leaves a folder
 * that loads, as the model it held before or the one being saved: never a
 * mix, never nothing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadModel, saveWeights } from "../../runtime/files.js";
import { createNetwork, tf } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

const CHILD = fileURLToPath(new URL("./save-loop-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE = "network K { input 64 dense [256, 128] output 10 }";
const x = tf.tensor2d(
  Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i)),
  [2, 64],
);
const outputs = (model: { predict(x: tf.Tensor): tf.Tensor }): number[] => Array.from(model.predict(x).dataSync());

/** Starts the saving loop, kills it `delay` ms after it says it is saving. */
function killDuringSaves(dir: string, delay: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, dir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("saving")) setTimeout(() => child.kill("SIGKILL"), delay);
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`the saving child ended without being killed:\n${stderr}`))));
  });
}

describe("a save killed at a random moment", () => {
  it("leaves, in 24 of 24 runs, a folder that loads as the old model or the new one", async () => {
    const spec = networkSpec(analyze(SOURCE).plans![0]!);
    const [first, second] = [await createNetwork(spec, { seed: 1, backend: "cpu" }), await createNetwork(spec, { seed: 2, backend: "cpu" })];
    const expected = [outputs(first).join(), outputs(second).join()];
    const dir = join(mkdtempSync(join(tmpdir(), "dsc-kill-")), "run");
    await saveWeights(first, dir);
    const seen = new Set<number>();
    // A fixed spread of moments, so the run is the same every time: from mid-first-save to many saves in.
    for (let run = 0; run < 24; run++) {
      await killDuringSaves(dir, (run * 37) % 400);
      const loaded = await loadModel(dir, { backend: "cpu" });
      const which = expected.indexOf(outputs(loaded).join());
      expect(which).toBeGreaterThanOrEqual(0);
      seen.add(which);
      loaded.dispose();
      // model.json and the weight file it names; a kill before the clean-up may leave the previous one (the next save removes it).
      expect(readdirSync(dir).filter((f) => /^weights-[0-9a-f]{16}\.bin$/.test(f)).length).toBeLessThanOrEqual(2);
    }
    // The kills landed on both sides: some before a save completed, some after.
    expect(seen.size).toBe(2);
  }, 240_000);
});
