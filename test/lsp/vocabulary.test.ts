import { describe, expect, it } from "vitest";
import { analyze } from "../../src/index.js";
import { CALLEES, SETTINGS, type CallContext } from "../../src/lsp/vocabulary.js";

/** A declaration that writes `call` where a call of this context goes. */
const PLACES: Record<CallContext, (call: string) => string> = {
  graph: (call) => `graph g = ${call}`,
  data: (call) => `data d = ${call}`,
  mask: (call) => `network N {\n input 2\n output 1\n mask ${call}\n}`,
  prune: (call) => `network N {\n input 2\n output 1\n prune ${call}\n}`,
  grow: (call) => `network N {\n input 2\n output 1\n grow ${call}\n}`,
  proportions: (call) => `graph g = scalable(path(2), 4, proportions=${call})`,
  features: (call) => `network N {\n input [1, 8, 8]\n features [${call}]\n output 1\n}`,
  recurrent: (call) => `network N {\n input [5, 2]\n recurrent ${call}\n output 1\n}`,
};

/**
 * The checker names a call's parameters when it is given too many positional
 * arguments (DS2010, "its parameters are …"): the vocabulary's lists must be
 * exactly those, so completion offers what the compiler accepts.
 */
describe("the language server's vocabulary", () => {
  const entries = Object.entries(CALLEES).flatMap(([context, callees]) => callees.map((c) => [context as CallContext, c] as const));
  it.each(entries.map(([context, c]) => [context, c.name, c] as const))("%s %s lists the checker's parameters in its order", (context, name, entry) => {
    const call = `${name}(${Array.from({ length: 20 }, () => "0").join(", ")})`;
    const hint = analyze(PLACES[context](call)).diagnostics.find((d) => d.code === "DS2010")?.hint;
    expect(hint).toBe(`its parameters are ${entry.parameters.join(", ")}`);
  });

  it("names only settings the checker knows, and the checker refuses a name it does not list", () => {
    const unknown = (key: string): boolean => analyze(`network N {\n input 2\n output 1\n ${key} 1\n}`).diagnostics.some((d) => d.code === "DS2004");
    for (const setting of SETTINGS) expect(unknown(setting.name), setting.name).toBe(false);
    expect(unknown("activaton")).toBe(true);
  });

  it("offers only values the checker accepts", () => {
    for (const setting of SETTINGS) {
      if (!Array.isArray(setting.values)) continue;
      for (const value of setting.values) expect(analyze(`network N {\n input 2\n output 1\n ${setting.name} ${value}\n}`).diagnostics, `${setting.name} ${value}`).toEqual([]);
    }
  });
});
