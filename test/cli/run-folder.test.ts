import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claimRunFolder } from "../../src/cli/run-folder.js";

const fresh = (): string => mkdtempSync(join(tmpdir(), "dsc-run-folder-"));

describe("claiming a run folder", () => {
  it("takes the default name, or the first free NAME-2, NAME-3, … when runs are there", async () => {
    const dir = fresh();
    const fallback = join(dir, "Net");
    expect((await claimRunFolder({ fallback, force: false })).path).toBe(fallback);
    mkdirSync(fallback);
    writeFileSync(join(fallback, "model.json"), "{}");
    expect((await claimRunFolder({ fallback, force: false })).path).toBe(`${fallback}-2`);
    mkdirSync(`${fallback}-2`);
    writeFileSync(join(`${fallback}-2`, "report.json"), "{}");
    expect((await claimRunFolder({ fallback, force: false })).path).toBe(`${fallback}-3`);
  });

  it("refuses an --out that is a file, that holds other files, or that holds a run without --force", async () => {
    const dir = fresh();
    const file = join(dir, "notes.txt");
    writeFileSync(file, "mine");
    await expect(claimRunFolder({ out: file, fallback: "x", force: true })).rejects.toThrow(`--out ${file} is a file; it must name a folder`);
    const other = join(dir, "photos");
    mkdirSync(other);
    writeFileSync(join(other, "a.jpg"), "");
    await expect(claimRunFolder({ out: other, fallback: "x", force: true })).rejects.toThrow("holds files that are not a run of dsc train");
    const run = join(dir, "run");
    mkdirSync(run);
    writeFileSync(join(run, "model.json"), "{}");
    await expect(claimRunFolder({ out: run, fallback: "x", force: false })).rejects.toThrow(
      `--out ${run} already holds a run; pass --force to replace it, or --resume ${run} to continue it`,
    );
    expect((await claimRunFolder({ out: run, fallback: "x", force: true })).path).toBe(run);
    expect((await claimRunFolder({ out: run, fallback: "x", force: false, resuming: run })).path).toBe(run);
    expect(readFileSync(file, "utf8")).toBe("mine");
    expect(readdirSync(other)).toEqual(["a.jpg"]);
  });
});

describe("committing a generation", () => {
  it("switches the folder as a whole, keeps the generation before for readers, and removes older ones", async () => {
    const dir = fresh();
    const folder = await claimRunFolder({ out: join(dir, "run"), fallback: "x", force: false });
    for (const epoch of [1, 2, 3]) {
      await folder.commit(async (at) => {
        await writeFile(join(at, "model.json"), `{"epoch":${epoch}}`);
        await writeFile(join(at, "report.json"), `epoch ${epoch}`);
      });
      expect(readFileSync(join(dir, "run", "model.json"), "utf8")).toBe(`{"epoch":${epoch}}`);
      expect(lstatSync(join(dir, "run")).isSymbolicLink()).toBe(true);
    }
    expect(readdirSync(join(dir, ".run.runs")).sort()).toEqual(["2", "3"]);
    // Unchanged files are linked into the next generation, not copied.
    await folder.commit((at) => writeFile(join(at, "report.json"), "interrupted"), ["model.json"]);
    expect(readFileSync(join(dir, "run", "report.json"), "utf8")).toBe("interrupted");
    expect(statSync(join(dir, "run", "model.json")).ino).toBe(statSync(join(dir, ".run.runs", "3", "model.json")).ino);
    expect(readdirSync(dir).sort()).toEqual([".run.runs", "run"]);
  });

  it("replaces an old run's real folder with --force, and a failed write leaves the folder as it was", async () => {
    const dir = fresh();
    const out = join(dir, "run");
    mkdirSync(out);
    writeFileSync(join(out, "model.json"), "old");
    const folder = await claimRunFolder({ out, fallback: "x", force: true });
    await expect(folder.commit(() => Promise.reject(new Error("disk full")))).rejects.toThrow("disk full");
    expect(readFileSync(join(out, "model.json"), "utf8")).toBe("old");
    await folder.commit((at) => writeFile(join(at, "model.json"), "new"));
    expect(readFileSync(join(out, "model.json"), "utf8")).toBe("new");
    expect(existsSync(join(dir, "run.old"))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([".run.runs", "run"]);
  });
});
