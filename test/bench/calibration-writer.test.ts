/**
 * `npm run bench kernels` writes its fit into runtime/kernels/calibration.ts:
 * only the four constants it fits and the date, in a copy of the file here.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeCalibration } from "../../bench/kernels.js";

const CALIBRATION = new URL("../../runtime/kernels/calibration.ts", import.meta.url);
const FIT = { DENSE_FIXED: "1.5", DENSE_PER_ENTRY: "2.5", SPARSE_PER_EDGE: "3.5", SPARSE_PER_NEURON: "4.5" };

let folder: string | undefined;
afterEach(async () => {
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

async function copyOf(text: string): Promise<string> {
  folder = await mkdtemp(join(tmpdir(), "calibration-"));
  const path = join(folder, "calibration.ts");
  await writeFile(path, text);
  return path;
}

/** The file's `export const NAME = value;` lines by name. */
const constants = (text: string): Map<string, string> => new Map([...text.matchAll(/^export const (\w+) = ([^;]*);$/gm)].map((m) => [m[1]!, m[2]!]));

describe("the kernels benchmark's calibration writer", () => {
  it("replaces the fitted constants and the date, and keeps every other line as it is", async () => {
    const before = await readFile(CALIBRATION, "utf8");
    const path = await copyOf(before);
    await writeCalibration(FIT, path);
    const after = await readFile(path, "utf8");
    const [old, fresh] = [constants(before), constants(after)];
    for (const [name, value] of Object.entries(FIT)) expect(fresh.get(name)).toBe(value);
    // The native constants (and any other) stay: they come from other runs.
    expect([...fresh.keys()]).toEqual([...old.keys()]);
    for (const [name, value] of old) if (!(name in FIT)) expect(fresh.get(name)).toBe(value);
    expect(after).toContain(`(bench/kernels.ts) on ${new Date().toISOString().slice(0, 10)}`);
    const unchanged = (text: string): string[] =>
      text.split("\n").filter((line) => !/^export const (DENSE_FIXED|DENSE_PER_ENTRY|SPARSE_PER_EDGE|SPARSE_PER_NEURON) =/.test(line) && !line.includes("(bench/kernels.ts) on"));
    expect(unchanged(after)).toEqual(unchanged(before));
  });

  it("refuses a file without a constant to write, and leaves it as it was", async () => {
    const text = "export const DENSE_FIXED = 1;\n";
    const path = await copyOf(text);
    await expect(writeCalibration(FIT, path)).rejects.toThrow(/no line 'export const DENSE_PER_ENTRY = …;'/);
    expect(await readFile(path, "utf8")).toBe(text);
  });
});
