import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { factoryExpression, GLUE_MODULE_PATH, glueModuleText } from "../../scripts/threaded-glue.js";
import { THREADED_FACTORY_SOURCE } from "../../runtime/threaded-wasm-glue.js";

describe("the threaded WASM glue's own source (runtime/threaded-wasm.ts)", () => {
  it("is committed as `npm run build:threaded-glue` writes it from the installed tfjs-backend-wasm", async () => {
    expect(readFileSync(GLUE_MODULE_PATH, "utf8")).toBe(await glueModuleText());
  });

  it("evaluates, on its own, to the module factory a worker calls", () => {
    const factory = new Function(`var WasmBackendModuleThreadedSimd = ${THREADED_FACTORY_SOURCE}; return WasmBackendModuleThreadedSimd;`)() as unknown;
    expect(typeof factory).toBe("function");
    expect((factory as { length: number }).length).toBe(1);
  });

  it("refuses a glue of another shape, saying what it expected", () => {
    expect(() => factoryExpression("module.exports = function () {};")).toThrow(/has the glue's shape changed/);
  });
});
