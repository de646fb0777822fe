import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const EXAMPLES = ["families", "growing", "landscape", "mlp", "prior_comparison", "priors", "pruning", "small_world"].map((n) => join(ROOT, "examples", `${n}.ds`));

function files(contents: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "dsc-fmt-"));
  return Object.fromEntries(Object.entries(contents).map(([name, text]) => [name, (writeFileSync(join(dir, name), text), join(dir, name))]));
}

describe("dsc fmt", () => {
  it("--check passes on every example", async () => {
    const io = capture();
    expect(await main(["fmt", "--check", ...EXAMPLES], io)).toBe(0);
    expect(io.stdout).toEqual([`${EXAMPLES.length} of ${EXAMPLES.length} files already in the canonical layout`]);
    expect(io.stderr).toEqual([]);
  });

  it("--check exits 1, names only the files that would change and changes none", async () => {
    const messy = "network N {input 4\n output 2}";
    const f = files({ "messy.ds": messy, "tidy.ds": "graph g = path(3)\n" });
    const io = capture();
    expect(await main(["fmt", "--check", f["messy.ds"]!, f["tidy.ds"]!], io)).toBe(1);
    expect(io.stdout).toEqual([`${f["messy.ds"]}: not in the canonical layout (dsc fmt ${f["messy.ds"]} rewrites it)`, "1 of 2 files already in the canonical layout"]);
    expect(readFileSync(f["messy.ds"]!, "utf8")).toBe(messy);
  });

  it("rewrites files in place, and a second run changes nothing", async () => {
    const f = files({ "a.ds": "graph g=path( 3 ) # the path\nnetwork N {input 4\n structure g output 2}" });
    const io = capture();
    expect(await main(["fmt", f["a.ds"]!], io)).toBe(0);
    expect(io.stdout).toEqual([`${f["a.ds"]}: formatted`]);
    expect(readFileSync(f["a.ds"]!, "utf8")).toBe("graph g = path(3)  # the path\nnetwork N {\n  input 4\n  structure g\n  output 2\n}\n");
    const again = capture();
    expect(await main(["fmt", "--check", f["a.ds"]!], again)).toBe(0);
  });

  it("refuses a file with syntax errors with its diagnostics, leaving it byte-identical, and goes on to the others", async () => {
    const broken = "graph g = path(3\r\nnetwork N { input 4 }  # \u00e9\r\n";
    const f = files({ "broken.ds": broken, "ok.ds": "graph  g = path(3)" });
    const io = capture();
    expect(await main(["fmt", f["broken.ds"]!, f["ok.ds"]!], io)).toBe(1);
    expect(io.stderr[0]).toMatch(new RegExp(`^${f["broken.ds"]!.replace(/[.\\/]/g, "\\$&")}:2:1: error DS1002: `));
    expect(io.stderr.at(-1)).toBe(`dsc: ${f["broken.ds"]} not formatted: it has errors`);
    expect(readFileSync(f["broken.ds"]!)).toEqual(Buffer.from(broken, "utf8"));
    expect(readFileSync(f["ok.ds"]!, "utf8")).toBe("graph g = path(3)\n");
  });

  it("reports a missing file and a command line without files", async () => {
    const io = capture();
    expect(await main(["fmt", join(tmpdir(), "no-such-file.ds")], io)).toBe(1);
    expect(io.stderr[0]).toMatch(/cannot read .*no-such-file\.ds: no such file/);
    const none = capture();
    expect(await main(["fmt"], none)).toBe(2);
    expect(none.stderr[0]).toBe("dsc: fmt needs at least one .ds file\nRun 'dsc --help' for usage.");
  });
});
