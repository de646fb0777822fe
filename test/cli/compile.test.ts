import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";

describe("dsc compile", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsc-cli-"));

  it("writes DIR/<base name>.ts and exits 0", async () => {
    const file = join(dir, "tiny.ds");
    writeFileSync(file, "graph t = balanced_tree(r=2, h=2)\nnetwork Tiny { input 3 structure t output 2 }\n");
    const io = capture();
    const status = await main(["compile", file, "-o", join(dir, "out")], io);
    expect(io.stderr).toEqual([]);
    expect(status).toBe(0);
    const written = readFileSync(join(dir, "out", "tiny.ts"), "utf8");
    expect(written).toContain("export function createTiny(");
    expect(io.stdout.join("\n")).toContain("(Tiny)");
  });

  it("writes beside the source by default", async () => {
    const file = join(dir, "beside.ds");
    writeFileSync(file, "network Beside { input 3 output 2 }\n");
    expect(await main(["compile", file], capture())).toBe(0);
    expect(existsSync(join(dir, "beside.ts"))).toBe(true);
  });

  it("prints file:line:col, the line and a caret for each error, and exits 1", async () => {
    const file = join(dir, "bad.ds");
    writeFileSync(file, "graph w = watts_strogatz(n=10, k=4, p=1.5)\nnetwork N {\n  input 4\n  structure x\n  output 2\n}\n");
    const io = capture();
    const status = await main(["compile", file, "-o", join(dir, "never")], io);
    expect(status).toBe(1);
    const text = io.stderr.join("\n");
    expect(text).toContain(`${file}:1:39: error DS2006: 'p' must be between 0 and 1, but is 1.5`);
    expect(text).toContain("1 | graph w = watts_strogatz(n=10, k=4, p=1.5)");
    expect(text).toContain(`  | ${" ".repeat(38)}^^^`);
    expect(text).toContain(`${file}:4:13: error DS2003: unknown graph 'x'`);
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
    expect(existsSync(join(dir, "never", "bad.ts"))).toBe(false);
  });

  it("reports a missing file without a stack trace and goes on with the others", async () => {
    const good = join(dir, "good.ds");
    writeFileSync(good, "network Good { input 1 output 1 }\n");
    const io = capture();
    const status = await main(["compile", join(dir, "missing.ds"), good], io);
    expect(status).toBe(1);
    expect(io.stderr.join("\n")).toBe(`dsc: cannot read ${join(dir, "missing.ds")}: no such file`);
    expect(existsSync(join(dir, "good.ts"))).toBe(true);
  });

  it("rejects a wrong command line with status 2", async () => {
    const io = capture();
    expect(await main(["compile"], io)).toBe(2);
    expect(await main(["frobnicate"], io)).toBe(2);
    expect(await main(["compile", "x.ds", "--bogus"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("unknown command 'frobnicate'");
  });

  it("compiles under limits raised or lowered with --limit KEY=N, and refuses an unknown key", async () => {
    const file = join(dir, "wide.ds");
    writeFileSync(file, "network Wide { input 100 dense [300, 400] output 10 }\n");
    const lowered = capture();
    expect(await main(["compile", file, "-o", join(dir, "limits"), "--limit", "connections=100000"], lowered)).toBe(1);
    expect(lowered.stderr.join("\n")).toMatch(/wide\.ds:1:\d+: error DS\d{4}: .*154,000 connections.*100,000/);
    expect(existsSync(join(dir, "limits", "wide.ts"))).toBe(false);
    const raised = capture();
    expect(await main(["compile", file, "-o", join(dir, "limits"), "--limit", "connections=200000"], raised)).toBe(0);
    const bad = capture();
    expect(await main(["compile", file, "--limit", "weights=5"], bad)).toBe(2);
    expect(bad.stderr.join("\n")).toContain("--limit must be KEY=N with KEY one of vertices, edges, pairs");
  });
});
