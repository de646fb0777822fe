/** dsc diff on the command line: exit statuses, --json, run folders, and git's external diff driver. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { ProgramDiff, RunDiff } from "../../src/index.js";
import { loadModel, saveWeights } from "../../runtime/files.js";
import { prune } from "../../runtime/index.js";
import { capture } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "dsc-diff-"));
const SMALL_WORLD = readFileSync(join(ROOT, "examples", "small_world.ds"), "utf8");
const RESEEDED = SMALL_WORLD.replace("p=0.5, seed=42)", "p=0.5, seed=43)");

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

async function dsc(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const io = capture();
  const status = await main(["diff", ...args], io);
  return { status, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("dsc diff of two .ds files", () => {
  const a = write("a.ds", SMALL_WORLD);
  const b = write("b.ds", RESEEDED);

  it("exits 1 with the structural diff, 0 for the same structure written otherwise", async () => {
    const changed = await dsc(a, b);
    expect(changed.status).toBe(1);
    expect(changed.out).toContain("graph smallWorld\n  scalable › orient › watts_strogatz: seed 42 → 43");
    const same = await dsc(a, write("a-spaced.ds", SMALL_WORLD.replace(/\n/g, "\n\n  ") + "\n# done\n"));
    expect(same).toEqual({ status: 0, out: "no structural changes", err: "" });
  });

  it("prints the diff as JSON in the documented shape with --json", async () => {
    const { status, out } = await dsc(a, b, "--json", "--limit", "2");
    expect(status).toBe(1);
    const diff = JSON.parse(out) as ProgramDiff;
    expect(Object.keys(diff)).toEqual(["format", "version", "kind", "graphs", "networks"]);
    expect(diff).toMatchObject({ format: "dsc-diff", version: 1, kind: "programs", graphs: { added: [], removed: [] }, networks: { added: [], removed: [] } });
    const graph = diff.graphs.changed[0]!;
    expect(Object.keys(graph)).toEqual(["name", "arguments", "vertices", "edges", "layerSizes", "neurons"]);
    expect(graph.edges.added.items).toHaveLength(2);
    expect(graph.edges.added.count).toBeGreaterThan(2);
    expect(graph.edges.added.items[0]).toEqual([expect.any(Number), expect.any(Number)]);
    const network = diff.networks.changed[0]!;
    expect(Object.keys(network)).toEqual(["name", "layers", "settings", "blocks", "totals"]);
    expect(network.totals.liveConnections.before).toBe(243_072);
  });

  it("exits 2 with the diagnostics when a file has errors, or is missing", async () => {
    const broken = await dsc(a, write("broken.ds", "network N { input 4 output }\n"));
    expect(broken.status).toBe(2);
    expect(broken.err).toMatch(/broken\.ds:1:\d+: error DS\d{4}/);
    expect(broken.out).toBe("");
    expect((await dsc(a, join(dir, "nowhere.ds"))).err).toContain("no such file");
    expect((await dsc(a)).status).toBe(2);
    expect((await dsc(a, b, "--limit", "x")).err).toContain("--limit must be a whole number");
  });
});

describe("dsc diff of two run folders", () => {
  const network = write("quadrants.ds", "network Q { input 2  dense 6  output 2 }\n");
  const data = write("data.csv", ["x,y,label", ...Array.from({ length: 40 }, (_, i) => `${Math.sin(i)},${Math.cos(3 * i)},${i % 2}`)].join("\n"));
  const train = async (out: string, epochs: number) => {
    const status = await main(["train", network, "--data", data, "--epochs", String(epochs), "--backend", "cpu", "--seed", "3", "--out", out, "--no-progress"], capture());
    expect(status).toBe(0);
    return out;
  };

  it("counts the connections a prune switched off, per block, and no weight moved", async () => {
    const before = await train(join(dir, "run-a"), 1);
    const model = await loadModel(before, { backend: "cpu" });
    const masksBefore = model.blocks.map((block) => model.getMask(block.name));
    prune(model, { amount: { percent: 30 } });
    const after = join(dir, "run-pruned");
    await saveWeights(model, after);
    const expected = model.blocks.map((block, i) => masksBefore[i]!.filter((live, entry) => live === 1 && model.getMask(block.name)[entry] === 0).length);
    model.dispose();

    const { status, out } = await dsc(before, after, "--json");
    expect(status).toBe(1);
    const diff = JSON.parse(out) as RunDiff;
    expect(diff.kind).toBe("runs");
    expect(diff.spec).toBeUndefined();
    expect(diff.blocks.map((b) => b.name)).toEqual(["input->dense1", "dense1->output"]);
    expect(diff.blocks.map((b) => b.pruned)).toEqual(expected);
    expect(expected.reduce((x, y) => x + y, 0)).toBe(Math.floor(0.3 * (12 + 12)));
    expect(diff.blocks.map((b) => b.grown)).toEqual([0, 0]);
    expect(diff.blocks.map((b) => b.unchanged)).toEqual(expected.map((pruned, i) => [12, 12][i]! - pruned));
    expect(diff.totals.moved).toBe(0);
    expect((await dsc(before, before)).out).toBe("no changes: the same spec, masks and weights");
  }, 30_000);

  it("says how far training moved the weights: the L2 norm of the difference, and relative to A's", async () => {
    const one = join(dir, "run-a");
    const three = await train(join(dir, "run-three"), 3);
    const [a, b] = [await loadModel(one, { backend: "cpu" }), await loadModel(three, { backend: "cpu" })];
    const squares = (f: (block: string, i: number) => number) =>
      a.blocks.reduce((sum, block) => sum + a.getWeights(block.name).reduce((s, _w, i) => s + f(block.name, i) ** 2, 0), 0);
    const moved = Math.sqrt(squares((block, i) => b.getWeights(block)[i]! - a.getWeights(block)[i]!));
    const norm = Math.sqrt(squares((block, i) => a.getWeights(block)[i]!));
    a.dispose();
    b.dispose();
    const { status, out } = await dsc(one, three, "--json");
    expect(status).toBe(1);
    const diff = JSON.parse(out) as RunDiff;
    expect(diff.totals).toMatchObject({ pruned: 0, grown: 0, unchanged: 24 });
    expect(moved).toBeGreaterThan(0);
    expect(diff.totals.moved).toBeCloseTo(moved, 5);
    expect(diff.totals.relative).toBeCloseTo(moved / norm, 5);
    const text = (await dsc(one, three)).out;
    expect(text).toContain("block input->dense1: 0 pruned, 0 grown, 12 unchanged; weights moved ");
    expect((await dsc(one, write("q.ds", "network Q { input 2 output 2 }\n"))).err).toContain("is a run folder and");
  }, 30_000);
});

describe("git's external diff driver", () => {
  it("takes git's seven arguments: /dev/null is the empty program, errors are shown and the status is 0", async () => {
    const gitArgs = (oldFile: string, newFile: string) => ["--git", "net.ds", oldFile, "0".repeat(40), "100644", newFile, "1".repeat(40), "100644"];
    const spaced = write("spaced.ds", SMALL_WORLD.replace(/\n/g, "\n\n"));
    expect(await dsc(...gitArgs(write("same.ds", SMALL_WORLD), spaced))).toEqual({ status: 0, out: "dsc diff a/net.ds b/net.ds\nno structural changes", err: "" });
    const deleted = await dsc(...gitArgs(spaced, "/dev/null"));
    expect(deleted.out).toBe("dsc diff a/net.ds b/net.ds\ngraph smallWorld: removed\nnetwork SmallWorld: removed (9 layers, 24 blocks, 243,072 live connections)");
    const broken = await dsc(...gitArgs(spaced, write("broken-git.ds", "network N {\n")));
    expect(broken.status).toBe(0);
    expect(broken.out).toMatch(/^dsc diff a\/net\.ds b\/net\.ds\nnet\.ds:\d+:\d+: error DS\d{4}[^]*\(no structural diff: a side has errors\)$/);
    expect((await dsc("--git", "net.ds")).status).toBe(2);
  });

  it("makes git diff and git log -p --ext-diff show the structural diff of a .ds file", () => {
    const repo = mkdtempSync(join(tmpdir(), "dsc-diff-git-"));
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_PAGER: "cat" } });
    git("init", "-q");
    git("config", "user.name", "Test");
    git("config", "user.email", "test@example.com");
    // tsx from this repository, as an absolute URL: git runs the driver in the temporary repository.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const driver = `"${process.execPath}" --import "${tsx}" "${join(ROOT, "test", "support", "dsc-child.ts")}"`;
    git("config", "diff.dsc.command", `${driver} diff --git`);
    writeFileSync(join(repo, ".gitattributes"), "*.ds diff=dsc\n");
    writeFileSync(join(repo, "net.ds"), SMALL_WORLD);
    git("add", ".");
    git("commit", "-q", "-m", "small world");
    writeFileSync(join(repo, "net.ds"), RESEEDED);

    const diff = git("diff");
    expect(diff).toContain("dsc diff a/net.ds b/net.ds\ngraph smallWorld\n  scalable › orient › watts_strogatz: seed 42 → 43\n");
    expect(diff).toMatch(/ {2}edges 64 → 64: \d+ added, \d+ removed\n {4}\+ \d+ -> \d+/);
    expect(diff).not.toContain("@@");

    git("commit", "-q", "-a", "-m", "seed 43");
    const log = git("log", "-p", "--ext-diff", "--format=commit %s");
    expect(log).toContain("commit seed 43\n\ndsc diff a/net.ds b/net.ds\ngraph smallWorld\n  scalable › orient › watts_strogatz: seed 42 → 43");
    // As a textconv filter instead, plain git log -p and git show diff the structure's lines.
    git("config", "diff.dsc.textconv", `${driver} diff --textconv`);
    const shown = git("show", "--no-ext-diff", "--format=", "HEAD");
    expect(shown).toContain("-graph smallWorld = scalable(orient(watts_strogatz(n=32, k=4, p=0.5, seed=42), rule=random, roots=[0], seed=1), scale=1024, proportions=uniform)\n");
    expect(shown).toContain("+graph smallWorld = scalable(orient(watts_strogatz(n=32, k=4, p=0.5, seed=43), rule=random, roots=[0], seed=1), scale=1024, proportions=uniform)\n");
    expect(shown).toMatch(/\n-graph smallWorld edge \d+ -> \d+\n/);
    expect(shown).toMatch(/\n\+network SmallWorld layer smallWorld\.d0 320 neurons\n/);
    // The first commit adds the file (after .gitattributes): its networks and graphs against nothing.
    expect(log).toMatch(
      /commit small world\n[^]*\ndsc diff a\/net\.ds b\/net\.ds\ngraph smallWorld: added\nnetwork SmallWorld: added \(\d+ layers, \d+ blocks, 243,072 live connections\)/,
    );
  }, 30_000);
});
