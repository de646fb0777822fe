/**
 * The golden emitted module: test/fixtures/golden/skip.ds compiled with the
 * public `compile` must give test/fixtures/golden/skip.ts byte for byte.
 *
 * After a deliberate change to the emitted code, regenerate the fixture with
 *   UPDATE_GOLDEN=1 npx vitest run test/emit/golden.test.ts
 * and review its diff before committing: with UPDATE_GOLDEN=1 set, this test
 * rewrites the fixture instead of comparing against it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/index.js";

const fixtures = fileURLToPath(new URL("../fixtures/golden/", import.meta.url));
const update = process.env["UPDATE_GOLDEN"] === "1";

describe("emit: golden module", () => {
  it("skip.ds (a dense layer, a structure with a skip edge, mask policies) compiles to skip.ts", async () => {
    const sourcePath = `${fixtures}skip.ds`;
    const goldenPath = `${fixtures}skip.ts`;
    const { code, diagnostics } = await compile(readFileSync(sourcePath, "utf8"), { fileName: sourcePath });
    expect(diagnostics).toEqual([]);
    expect(code).toBeDefined();
    if (update) {
      writeFileSync(goldenPath, code!);
      return;
    }
    expect(existsSync(goldenPath), `${goldenPath} is missing; run with UPDATE_GOLDEN=1 to write it`).toBe(true);
    expect(code).toBe(readFileSync(goldenPath, "utf8"));
  });
});
