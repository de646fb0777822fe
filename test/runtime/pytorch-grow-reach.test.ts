/**
 * The PyTorch target's growth and learnable masks act on dense blocks only:
 * its trainer refuses (names) a grow or learnable line that reaches a conv or
 * recurrent weight rather than doing something other than what the runtime does.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/index.js";
import { emitPytorch } from "../../src/emit-pytorch/index.js";
import { hasTorch, PYTHON } from "../pytorch/support.js";

const network = (name: string, body: string, line: string): string => `network ${name} {\n  ${body}\n  output 3\n  ${line}\n}\n`;
const CONV = "input [1, 8, 8]\n  features [conv(4, kernel=3), max_pool(2)]\n  dense 5";
const LSTM = "input [6, 3]\n  recurrent lstm(hidden=[4])\n  dense 5";
const NAMES = ["ConvAll", "ConvNamed", "ConvDense", "LstmAll", "LstmDense"];
const SOURCE = [
  network("ConvAll", CONV, "grow rigl(sparsity=0.5, stop=10)"),
  network("ConvNamed", CONV, "grow set(sparsity=0.5, stop=10, layers=[conv1])"),
  network("ConvDense", CONV, "grow rigl(sparsity=0.5, stop=10, layers=[dense1, output])"),
  network("LstmAll", LSTM, "grow set(sparsity=0.5, stop=10)"),
  network("LstmDense", LSTM, "grow rigl(sparsity=0.5, stop=10, layers=[dense1])"),
  network("LearnConv", CONV, "mask learnable()"),
  network("LearnDense", CONV, "mask learnable(layers=[dense1])"),
].join("");

describe("the PyTorch target's growth over conv and recurrent weights", () => {
  it.skipIf(!hasTorch)(
    "is refused by name where it reaches a conv or recurrent weight, and runs over the dense layers",
    async () => {
      const { plans, diagnostics } = analyze(SOURCE);
      expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const dir = await mkdtemp(join(tmpdir(), "grow-reach-"));
      try {
        await writeFile(join(dir, "nets.py"), emitPytorch(plans!, { sourceName: "nets.ds" }));
        const script = `import nets\nfor name in ${JSON.stringify(NAMES)}:\n    m = getattr(nets, name)()\n    print(name, nets.Growth(m, m.spec['growth']).unsupported())\nfor name in ['LearnConv', 'LearnDense']:\n    print(name, nets.learnable_unsupported(getattr(nets, name)()))\n`;
        const run = spawnSync(PYTHON, ["-c", script], { cwd: dir, encoding: "utf8", timeout: 120_000 });
        expect(run.stderr).not.toContain("Error");
        const tail = "which only the TypeScript runtime grows so far; name the dense layers in its layers=[...]";
        expect(run.stdout.trim().split("\n")).toEqual([
          `ConvAll network ConvAll: grow reaches the conv weights (its layers=[...] is left out), ${tail}`,
          `ConvNamed network ConvNamed: grow reaches 'conv1', ${tail}`,
          "ConvDense None",
          `LstmAll network LstmAll: grow reaches the recurrent weights (its layers=[...] is left out), ${tail}`,
          "LstmDense None",
          "LearnConv network LearnConv: mask learnable reaches 'conv1', which only the TypeScript runtime learns so far; name the dense layers in its layers=[...]",
          "LearnDense None",
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
