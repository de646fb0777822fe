import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(ROOT, "test", "support", "dsc-child.ts");
// By file URL: `--import tsx` would be resolved from the child's working directory, which is not always the repository.
const TSX = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const EXAMPLES = readdirSync(join(ROOT, "examples"))
  .filter((f) => f.endsWith(".ds"))
  .sort();

/** `dsc compile` in a process of its own, started in `cwd`; resolves its exit status and stderr. */
function compileIn(cwd: string, files: readonly string[], out: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, CHILD, "compile", ...files, "-o", out], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("determinism across processes", () => {
  it("compiles every example to the same bytes in two processes started from different working directories", async () => {
    const [a, b] = [mkdtempSync(join(tmpdir(), "dsc-det-a-")), mkdtempSync(join(tmpdir(), "dsc-det-b-"))];
    // One from the repository with paths through examples/, one from examples/ itself with bare names:
    // neither the working directory nor the spelling of the path may reach the module.
    const [first, second] = await Promise.all([
      compileIn(
        ROOT,
        EXAMPLES.map((f) => join("examples", f)),
        a,
      ),
      compileIn(join(ROOT, "examples"), EXAMPLES, b),
    ]);
    expect([first.status, second.status]).toEqual([0, 0]);
    const modules = EXAMPLES.map((f) => f.replace(/\.ds$/, ".ts"));
    expect(readdirSync(a).sort()).toEqual([...modules].sort());
    expect(readdirSync(b).sort()).toEqual([...modules].sort());
    for (const name of modules) {
      const bytes = readFileSync(join(a, name));
      expect(bytes.length).toBeGreaterThan(1000);
      expect(readFileSync(join(b, name)).equals(bytes), name).toBe(true);
    }
  }, 60_000);
});
