/**
 * The PyTorch target's schedules prune every prunable weight, entry by entry
 * or by unit (test/pytorch/pruning.test.ts compares the masks with the
 * runtime's), synflow through convs and recurrent layers included; its
 * trainer refuses (names) a schedule by the order-2 units (gate, layer),
 * rather than pruning something other than what the runtime prunes.
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
const SOURCE = [
  network("ConvAll", CONV, "prune one_shot(percent=10, epoch=1)"),
  network("ConvNamed", CONV, "prune iterative(percent=10, every=1, target=0.5, layers=[conv1])"),
  network("ConvDense", CONV, "prune one_shot(percent=10, epoch=1, layers=[dense1, output])"),
  network("LstmAll", LSTM, "prune gradual(final=0.5, start=1, end=4, every=1)"),
  network("LstmDense", LSTM, "prune gradual(final=0.5, start=1, end=4, every=1, layers=[dense1])"),
  network("ConvSynflow", CONV, "prune one_shot(percent=10, epoch=1, saliency=synflow, layers=[dense1, output])"),
  network("DenseNeurons", "input 6\n  dense 5", "prune one_shot(percent=10, epoch=1, unit=neuron)"),
  network("LstmGates", LSTM, "prune one_shot(percent=25, epoch=1, unit=gate)"),
].join("");

describe("the PyTorch target's schedules over conv and recurrent weights", () => {
  it.skipIf(!hasTorch)(
    "run over conv, recurrent and dense weights, by every unit (order-2 gates and layers too), synflow through convs too",
    async () => {
      const { plans, diagnostics } = analyze(SOURCE);
      expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const dir = await mkdtemp(join(tmpdir(), "prune-reach-"));
      try {
        await writeFile(join(dir, "nets.py"), emitPytorch(plans!, { sourceName: "nets.ds" }));
        const script =
          "import nets\nfor name in ['ConvAll', 'ConvNamed', 'ConvDense', 'LstmAll', 'LstmDense', 'ConvSynflow', 'DenseNeurons', 'LstmGates']:\n    m = getattr(nets, name)()\n    print(name, nets.Pruning(m, m.spec.get('pruning', [])).unsupported())\n";
        const run = spawnSync(PYTHON, ["-c", script], { cwd: dir, encoding: "utf8", timeout: 120_000 });
        expect(run.stderr).not.toContain("Error");
        expect(run.stdout.trim().split("\n")).toEqual([
          "ConvAll None",
          "ConvNamed None",
          "ConvDense None",
          "LstmAll None",
          "LstmDense None",
          "ConvSynflow None",
          "DenseNeurons None",
          "LstmGates None",
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
