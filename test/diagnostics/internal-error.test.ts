import { describe, expect, it, vi } from "vitest";

// A bug in a pass must surface as a DS9001 diagnostic, never as an exception.
vi.mock("../../src/lower/index.js", () => ({
  lower: () => {
    throw new Error("boom in lower");
  },
}));

describe("internal errors", () => {
  it("become DS9001 diagnostics instead of exceptions", async () => {
    const { compile } = await import("../../src/index.js");
    const result = await compile("network N { input 2 output 1 }", { fileName: "x.ds" });
    expect(result.code).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: "DS9001", file: "x.ds", severity: "error" });
    expect(result.diagnostics[0]!.message).toContain("boom in lower");
  });
});
