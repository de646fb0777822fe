/**
 * The PyTorch target as a compiler output: `dsc compile --target pytorch`
 * writes one valid, deterministic module per file; its from_run checks what
 * it reads (the weight file's SHA-256, the network's structure).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { analyze, emitPytorch } from "../../src/index.js";
import { capture } from "../support/cli.js";
import { buildModel } from "../support/models.js";
import { saveWeights } from "../../runtime/files.js";
import { hasTorch, PYTHON, pytorchSources, runPython } from "./support.js";

const hasPython = spawnSync(PYTHON, ["--version"], { stdio: "ignore" }).status === 0;
const examples = (await pytorchSources("examples")).map((path) => basename(path));

describe("dsc compile --target pytorch", () => {
  it("writes DIR/<base name>.py for every example, the same bytes each time, and names its networks", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-cli-"));
    const io = capture();
    const files = examples.map((f) => join("examples", f));
    expect(await main(["compile", "--target", "pytorch", ...files, "-o", dir], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout.join("\n")).toContain("small_world.py (SmallWorld)");
    for (const file of examples) {
      const written = await readFile(join(dir, file.replace(/\.ds$/, ".py")), "utf8");
      const { plans } = analyze(await readFile(join("examples", file), "utf8"), { fileName: join("examples", file) });
      expect(emitPytorch(plans!, { sourceName: `elsewhere/${file}` }), file).toBe(written);
      for (const plan of plans!) expect(written).toContain(`class ${plan.network.name}(Network):`);
      // No line grows with the network: masks and specs are wrapped.
      expect(Math.max(...written.split("\n").map((line) => line.length)), file).toBeLessThan(200);
    }
  });

  it.skipIf(!hasPython)("writes modules python3 compiles", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-compile-"));
    expect(await main(["compile", "--target", "pytorch", ...examples.map((f) => join("examples", f)), "-o", dir], capture())).toBe(0);
    const modules = (await readdir(dir)).map((f) => join(dir, f));
    runPython(["-m", "py_compile", ...modules]);
  });

  it("writes a conv network's feature layers as modules before the dense layers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-conv-"));
    expect(await main(["compile", "--target", "pytorch", "examples/conv.ds", "-o", dir], capture())).toBe(0);
    const written = await readFile(join(dir, "conv.py"), "utf8");
    expect(written).toContain("v0 = self.features(x.reshape(x.shape[0], 1, 28, 28))  # features [576] <- conv1, bn1, pool1, conv2, bn2, pool2, conv3, bn3, pool3");
    expect(written).toContain("v1 = self.hidden(0, v0)  # dense1 [128] <- features");
  });

  it("writes a cell network's forward cell by cell: sources on the stem's maps, the others on their inputs' maps concatenated, the head on the sinks'", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-cells-"));
    expect(await main(["compile", "--target", "pytorch", "test/pytorch/fixtures/cell_networks.ds", "-o", dir], capture())).toBe(0);
    const written = await readFile(join(dir, "cell_networks.py"), "utf8");
    expect(written).toContain("maps = self.features.maps(x.reshape(x.shape[0], 2, 12, 10))  # [4, 12, 10] <- conv1, bn1");
    expect(written).toContain('cell0 = self.cells["cell0"].maps(maps)  # cell0 [3, 6, 5] <- the feature layers');
    expect(written).toContain('cell2 = self.cells["cell2"].maps(concat_padded([cell0, cell1]))  # cell2 [3, 3, 3] <- cell0, cell1');
    expect(written).toContain('v0 = self.cells["head"](concat_padded([cell3, cell4]))  # cells [5] <- head.conv, head.bn, head.gap <- sinks cell3, cell4');
    expect(written).toContain('cell0 = self.cells["cell0"].maps(maps)  # cell0 [3, 6, 5] <- the input');
  });

  it("writes a recurrent network's stack as a module before the dense layers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-recurrent-"));
    expect(await main(["compile", "--target", "pytorch", "examples/recurrent.ds", "-o", dir], capture())).toBe(0);
    const written = await readFile(join(dir, "recurrent.py"), "utf8");
    expect(written).toContain("v0 = self.recurrent(x.reshape(x.shape[0], 20, 1))  # recurrent [64] <- lstm1(64), lstm2(64), output=last");
    expect(written).toContain("v1 = self.kernels[0](v0)  # output [10] <- recurrent, logits");
    expect(written).toContain("class MaskedRecurrentLayer(nn.Module):");
  });

  it("refuses an unknown target", async () => {
    const io = capture();
    expect(await main(["compile", "--target", "onnx", "examples/mlp.ds"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("--target must be typescript or pytorch, got 'onnx'");
  });
});

describe.skipIf(!hasTorch)("from_run", () => {
  const source = "network Small { input 6\n dense 5\n output 3 }\nnetwork Other { input 6\n dense 4\n output 3 }\n";

  async function setUp(): Promise<{ module: string; run: string }> {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-run-"));
    const module = join(dir, "small.py");
    await writeFile(module, emitPytorch(analyze(source).plans!));
    const run = join(dir, "run");
    await saveWeights(await buildModel(source), run);
    return { module, run };
  }

  const load = (module: string, expression: string): string =>
    runPython([
      "-c",
      `import importlib.util as u; s = u.spec_from_file_location("m", ${JSON.stringify(module)}); m = u.module_from_spec(s); s.loader.exec_module(m)\n${expression}`,
    ]);

  it("builds the network the run folder names", async () => {
    const { module, run } = await setUp();
    expect(load(module, `print(type(m.from_run(${JSON.stringify(run)})).__name__)`).trim()).toBe("Small");
  });

  it("refuses weight data whose SHA-256 is not the one model.json records", async () => {
    const { module, run } = await setUp();
    const bin = (await readdir(run)).find((f) => f.endsWith(".bin"))!;
    const data = await readFile(join(run, bin));
    data[0] = data[0]! ^ 1;
    await writeFile(join(run, bin), data);
    expect(() => load(module, `m.from_run(${JSON.stringify(run)})`)).toThrow(/does not match the SHA-256/);
  });

  it("trains over NCCL on the process's GPU where CUDA is, over gloo on the CPU elsewhere", async () => {
    const { module } = await setUp();
    const printed = load(
      module,
      [
        "import os, torch, torch.distributed as dist",
        "print(m.process_group_backend(), m.training_device())",
        // What a machine with GPUs would answer; torchrun sets LOCAL_RANK per process.
        "torch.cuda.is_available = lambda: True",
        "os.environ['LOCAL_RANK'] = '1'",
        // A torch built without NCCL (Debian's is one): gloo, still on the GPU.
        "dist.is_nccl_available = lambda: False",
        "print(m.process_group_backend(), m.training_device())",
        "dist.is_nccl_available = lambda: True",
        "print(m.process_group_backend(), m.training_device())",
      ].join("\n"),
    );
    expect(printed.trim().split("\n")).toEqual(["gloo cpu", "gloo cuda:1", "nccl cuda:1"]);
  });

  it("refuses a run folder of another structure", async () => {
    const { module, run } = await setUp();
    expect(() => load(module, `m.Other.from_run(${JSON.stringify(run)})`)).toThrow(/another structure than Other/);
  });
});
