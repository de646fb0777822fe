/** Small networks for testing `prune`, `grow` and `mask` lines over convs and recurrent layers, and what the compiler makes of them. */
import { expect } from "vitest";
import { analyze, networkSpec } from "../../src/index.js";
import { formatDiagnostic } from "../../src/diagnostics/format.js";
import type { NetworkSpec } from "../../runtime/spec.js";

/** A conv network (two convs by default) followed by dense 5 and 3 outputs, with `line` (prune, grow or mask lines) at its end. */
export const convNetwork = (line: string, features = "conv(4, kernel=3), max_pool(2), conv(6, kernel=3, padding=same)"): string => `network C {
  input [1, 8, 8]
  features [${features}]
  dense 5
  output 3
  ${line}
}`;

/** A two-layer lstm (8 then 5 hidden) over 6 steps of 3 features, then dense 4 and 3 outputs, with `line` at its end. */
export const lstmNetwork = (line: string): string => `network R {
  input [6, 3]
  recurrent lstm(hidden=[8, 5])
  dense 4
  output 3
  ${line}
}`;

/** Each error's first formatted line (p.ds:line:col: error CODE: message), each followed by `hint: …` when `hints` is set. */
export function errorLines(source: string, { hints }: { hints: boolean }): string[] {
  const { diagnostics } = analyze(source, { fileName: "p.ds" });
  const errors = diagnostics.filter((d) => d.severity === "error");
  return errors.flatMap((d) => [formatDiagnostic(d, source).split("\n")[0]!, ...(hints ? [`hint: ${d.hint ?? ""}`] : [])]);
}

/** The first network's spec; fails the test on any error. */
export function specOf(source: string): NetworkSpec {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return networkSpec(plans![0]!);
}
