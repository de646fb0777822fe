import { expect } from "vitest";
import { createNetwork, type Model, type NetworkOptions } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

/** Compiles `.ds` source in memory and builds its first network (CPU backend unless told otherwise). */
export async function buildModel(source: string, options: NetworkOptions = {}): Promise<Model> {
  const { plans, diagnostics } = analyze(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return createNetwork(networkSpec(plans![0]!), { backend: "cpu", ...options });
}
