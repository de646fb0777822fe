import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(ROOT, "test", "support", "dsc-child.ts");

/** Runs dsc with its stdout closed before it writes a byte (as `dsc … | head -0` does); resolves its exit status and stderr. */
function withClosedStdout(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("a closed pipe", () => {
  it("is not an error: dsc graph still writes the whole file and exits 0 without a word", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-pipe-"));
    const piped = join(dir, "piped.graphml");
    const { status, stderr } = await withClosedStdout(["graph", "examples/priors.ds", "--graph", "lattice", "-o", piped]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const reference = join(dir, "reference.graphml");
    expect(await main(["graph", join(ROOT, "examples", "priors.ds"), "--graph", "lattice", "-o", reference], capture())).toBe(0);
    expect(readFileSync(piped, "utf8")).toBe(readFileSync(reference, "utf8"));
    expect(readFileSync(piped, "utf8")).toContain("</graphml>");
  }, 60_000);

  it("ends dsc compile quietly with its modules written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsc-pipe-"));
    const { status, stderr } = await withClosedStdout(["compile", "examples/priors.ds", "examples/mlp.ds", "-o", dir]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(readFileSync(join(dir, "priors.ts"), "utf8")).toContain("export function createTree");
    expect(readFileSync(join(dir, "mlp.ts"), "utf8")).toMatch(/export function create\w+/);
  }, 60_000);
});
