import { describe, expect, it } from "vitest";
import { diffPrograms, programVersion, type ProgramVersion } from "../../src/index.js";

function version(source: string): ProgramVersion {
  const { version, diagnostics } = programVersion(source, {});
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return version!;
}

const source = (cell: string, head = 8): string =>
  `cell c = [${cell}]\ngraph g = edges { 0 -> 1, 0 -> 2 }\nnetwork N {\n  input [1, 6, 6]\n  features [conv(2, kernel=3, padding=same)]\n  structure g\n  cells c\n  head ${head}\n  output 2\n}\n`;

describe("dsc diff of cell networks", () => {
  it("names a change of the cell's layers or of the head as a change of the cells setting, and none when nothing changed", () => {
    const before = version(source("conv(4, kernel=3, padding=same), batch_norm()"));
    expect(diffPrograms(before, version(source("conv(4, kernel=3, padding=same), batch_norm()"))).networks.changed).toEqual([]);
    const wider = diffPrograms(before, version(source("conv(6, kernel=3, padding=same), batch_norm()"))).networks.changed[0]!;
    expect(wider.settings).toEqual([
      {
        setting: "cells",
        before:
          "3 cells over 'g': [conv(4, kernel=3×3, stride=1×1, dilation=1×1, same), batchNorm]; head [conv(8, kernel=1×1, stride=1×1, dilation=1×1, valid), batchNorm, globalAvgPool]",
        after:
          "3 cells over 'g': [conv(6, kernel=3×3, stride=1×1, dilation=1×1, same), batchNorm]; head [conv(8, kernel=1×1, stride=1×1, dilation=1×1, valid), batchNorm, globalAvgPool]",
      },
    ]);
    const head = diffPrograms(before, version(source("conv(4, kernel=3, padding=same), batch_norm()", 5))).networks.changed[0]!;
    expect(head.settings.map((s) => s.setting)).toEqual(["cells"]);
    expect(head.layers).toEqual([{ name: "cells", before: 8, after: 5 }]);
  });
});
