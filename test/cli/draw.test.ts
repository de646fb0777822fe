import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { saveWeights } from "../../runtime/files.js";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";
import { buildModel } from "../support/models.js";
import { elements, parseSvg } from "../draw/support.js";

const TWO = "network A {\n  input 3\n  dense 4\n  output 2\n}\nnetwork B {\n  input 2\n  output 2\n}";
const PRIORS = new URL("../../examples/priors.ds", import.meta.url).pathname;
const home = process.cwd();
const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(ROOT, "test", "support", "dsc-child.ts");
const TSX = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;

/** `dsc draw` in a process of its own, started in `cwd`; resolves its exit status. */
function drawIn(cwd: string, args: readonly string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, CHILD, "draw", ...args], { cwd, stdio: "ignore" });
    child.on("close", resolve);
  });
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "dsc-draw-"));
}

afterEach(() => process.chdir(home));

describe("dsc draw", () => {
  it("writes <network>.svg in the working directory for every network of FILE", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "two.ds"), TWO);
    process.chdir(dir);
    const io = capture();
    expect(await main(["draw", "two.ds"], io)).toBe(0);
    expect(io.stdout).toEqual(["wrote A.svg (neurons)", "wrote B.svg (neurons)"]);
    expect(elements(parseSvg(readFileSync(join(dir, "A.svg"), "utf8")), "circle").length).toBe(3 + 4 + 2);
    expect(elements(parseSvg(readFileSync(join(dir, "B.svg"), "utf8")), "path").length).toBe(4);
  });

  it("writes one network to -o, and the same bytes each time", async () => {
    const dir = scratch();
    const out = join(dir, "diamond.svg");
    expect(await main(["draw", PRIORS, "--network", "Diamond", "-o", out], capture())).toBe(0);
    const first = readFileSync(out, "utf8");
    expect(await main(["draw", PRIORS, "--network", "Diamond", "-o", out], capture())).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(first);
    expect(elements(parseSvg(first), "circle").length).toBe(3 + 1 + 2 + 1 + 4 + 1);
  });

  it("writes the same bytes in two processes started from different working directories", async () => {
    const [a, b] = [scratch(), scratch()];
    const statuses = await Promise.all([
      drawIn(ROOT, ["examples/priors.ds", "--network", "Tree", "-o", join(a, "t.svg")]),
      drawIn(a, [PRIORS, "--network", "Tree", "-o", join(b, "t.svg")]),
    ]);
    expect(statuses).toEqual([0, 0]);
    expect(readFileSync(join(a, "t.svg"), "utf8")).toBe(readFileSync(join(b, "t.svg"), "utf8"));
  });

  it("draws a run folder coloured by its weights, the layers view when asked", async () => {
    const dir = scratch();
    const model = await buildModel("network Run {\n  input 3\n  dense 4\n  output 2\n}");
    await saveWeights(model, join(dir, "run"));
    model.dispose();
    const out = join(dir, "run.svg");
    const io = capture();
    expect(await main(["draw", join(dir, "run"), "-o", out], io)).toBe(0);
    expect(io.stdout).toEqual([`wrote ${out} (neurons)`]);
    const strokes = new Set(elements(parseSvg(readFileSync(out, "utf8")), "path").map((p) => p.getAttribute("stroke")));
    expect(strokes).toEqual(new Set(["#2166ac", "#b2182b"]));
    expect(await main(["draw", join(dir, "run"), "-o", out, "--order", "2"], capture())).toBe(0);
    expect(elements(parseSvg(readFileSync(out, "utf8")), "rect", "node").length).toBe(3);
  });

  it("refuses what it cannot draw", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "two.ds"), TWO);
    writeFileSync(join(dir, "bad.ds"), "network X {\n  input 3\n  output nope\n}");
    const out = join(dir, "x.svg");
    const cases: [string[], number, RegExp][] = [
      [["draw", join(dir, "two.ds"), "-o", out], 2, /declares 2 networks; choose one with --network/],
      [["draw", join(dir, "two.ds"), "--network", "C"], 1, /has no network 'C'; its networks are A, B/],
      [["draw", join(dir, "missing.ds")], 1, /cannot read .*missing\.ds/],
      [["draw", join(dir, "bad.ds"), "-o", out], 1, /bad\.ds/],
      [["draw", join(dir, "two.ds"), "--order", "3"], 2, /--order must be 0, 1 or 2/],
      [["draw"], 2, /draw takes one \.ds file or run folder, got 0/],
      [["draw", dir, "--network", "A"], 2, /--network is for \.ds files/],
    ];
    for (const [argv, status, message] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(" ")).toBe(status);
      expect(io.stderr.join("\n")).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });
});
