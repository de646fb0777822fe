/**
 * The PyTorch target's growth reaches what the runtime's does: every conv,
 * recurrent and dense weight, or those a grow line names
 * (test/pytorch/growth.test.ts compares its choices with the runtime's);
 * its learnable masks reach conv weights too (a LearnedMask on the conv),
 * and only the weights the line names.
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

describe("the PyTorch target's growth and learnable masks over conv and recurrent weights", () => {
  it.skipIf(!hasTorch)(
    "grows every weight or the named ones, and learns the masks of the convs a learnable line reaches",
    async () => {
      const { plans, diagnostics } = analyze(SOURCE);
      expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const dir = await mkdtemp(join(tmpdir(), "grow-reach-"));
      try {
        await writeFile(join(dir, "nets.py"), emitPytorch(plans!, { sourceName: "nets.ds" }));
        const script = `import nets\nfor name in ${JSON.stringify(NAMES)}:\n    m = getattr(nets, name)()\n    print(name, [w.name for w in nets.Growth(m, m.spec['growth'])._scope()])\nfor name in ['LearnConv', 'LearnDense']:\n    print(name, [w.name for w in nets.prunable_weights(getattr(nets, name)()) if w.kind != 'dense' and w.learned() is not None])\n`;
        const run = spawnSync(PYTHON, ["-c", script], { cwd: dir, encoding: "utf8", timeout: 120_000 });
        expect(run.stderr).not.toContain("Error");
        expect(run.stdout.trim().split("\n")).toEqual([
          "ConvAll ['conv1', 'features->dense1', 'dense1->output']",
          "ConvNamed ['conv1']",
          "ConvDense ['features->dense1', 'dense1->output']",
          "LstmAll ['lstm1.input', 'lstm1.hidden', 'recurrent->dense1', 'dense1->output']",
          "LstmDense ['recurrent->dense1']",
          "LearnConv ['conv1']",
          "LearnDense []",
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
