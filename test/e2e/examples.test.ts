import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/index.js";
import type { Model } from "../../runtime/index.js";
import { typeCheck, writeGenerated } from "../support/generated.js";

const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".ds"))
  .sort();

type Factory = (options?: { seed?: number; backend?: "cpu" | "wasm" | "auto" }) => Promise<Model<readonly number[], readonly number[]>>;

describe.each(examples)("examples/%s", (file) => {
  const source = readFileSync(join(examplesDir, file), "utf8");
  const name = basename(file, ".ds");
  let code = "";
  let modulePath = "";

  beforeAll(async () => {
    const result = await compile(source, { fileName: `examples/${file}` });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    code = result.code!;
    modulePath = writeGenerated(name, code);
  });

  it("compiles to the same bytes twice", async () => {
    const again = await compile(source, { fileName: `examples/${file}` });
    expect(again.code).toBe(code);
  });

  it("type-checks under tsc --strict", () => {
    expect(typeCheck([modulePath])).toEqual([]);
  });

  it("runs a forward pass with outputs of the declared shape for every network", async () => {
    const module = (await import(modulePath)) as Record<string, unknown>;
    const factories = Object.entries(module).filter(([key]) => key.startsWith("create"));
    expect(factories.length).toBeGreaterThan(0);
    for (const [, create] of factories) {
      const model = await (create as Factory)({ seed: 1, backend: "cpu" });
      const batch = 3;
      const x = tf.randomUniform([batch, ...model.inputShape]);
      const y = model.predict(x);
      expect(y.shape).toEqual([batch, ...model.outputShape]);
      const values = await y.data();
      expect(values.every(Number.isFinite)).toBe(true);
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});
