import { describe, expect, it } from "vitest";
import { analyze, networkSpec } from "../../src/index.js";
import { formatDiagnostic } from "../../src/diagnostics/format.js";
import { emitPytorch } from "../../src/emit-pytorch/index.js";
import { createNetwork, decodeMask } from "../../runtime/index.js";

const network = (features: string, input = "[1, 28, 28]"): string => `network N {\n  input ${input}\n  features [${features}]\n  dense 8\n  output 2\n}\n`;

function errors(source: string): string[] {
  const { diagnostics } = analyze(source, { fileName: "n.ds" });
  return diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d, source).split("\n")[0]!);
}

describe("features in the compiler", () => {
  it("lowers the layers in order, named by kind, the activation after each conv or its batch norm", () => {
    const { plans } = analyze(network("conv(4, kernel=5), batch_norm(), max_pool(2), conv(6, kernel=[3, 1], stride=[1, 2], dilation=2), global_avg_pool(), flatten()"));
    const spec = networkSpec(plans![0]!);
    expect(spec.features).toEqual([
      { name: "conv1", kind: "conv", channels: 4, kernel: [5, 5], stride: [1, 1], dilation: [1, 1], padding: "valid", activate: false },
      { name: "bn1", kind: "batchNorm", momentum: 0.1, epsilon: 1e-5, activate: true },
      { name: "pool1", kind: "maxPool", size: [2, 2], stride: [2, 2], padding: "valid" },
      { name: "conv2", kind: "conv", channels: 6, kernel: [3, 1], stride: [1, 2], dilation: [2, 2], padding: "valid", activate: true },
      { name: "gap1", kind: "globalAvgPool" },
    ]);
    // 28 → conv 5 valid → 24 → pool → 12 → conv [3, 1] dilation 2, stride [1, 2] → 8 × 6 → global pool: 6 × 1 × 1.
    expect(spec.layers[0]).toEqual({ name: "features", origin: { kind: "input" }, size: 6 });
    expect(spec.blocks[0]!.name).toBe("features->dense1");
  });

  it("leaves a network without features as it was: no features key, layer 0 named input", () => {
    const spec = networkSpec(analyze("network M { input [1, 4, 4] dense 3 output 2 }").plans![0]!);
    expect(Object.keys(spec)).not.toContain("features");
    expect(spec.layers[0]).toEqual({ name: "input", origin: { kind: "input" }, size: 16 });
  });

  it("reports each bad shape where it is written, with its code", () => {
    expect(errors(network("conv(4, kernel=29)"))).toEqual(["n.ds:3:13: error DS2052: conv(4) does not fit its input: its 29×29 window is larger than its 28×28 input"]);
    expect(errors(network("conv(4, kernel=3), max_pool(2), max_pool(2), max_pool(2), max_pool(2), max_pool(2)"))).toEqual([
      "n.ds:3:84: error DS2052: max_pool does not fit its input: its 2×2 window is larger than its 1×1 input",
    ]);
    expect(errors(network("conv(4, kernel=3, dilation=14)"))).toEqual([
      "n.ds:3:13: error DS2053: conv(4) makes a shape that reaches zero: its dilated window spans 29×29, more than its 28×28 input, so its output would be 0×0",
    ]);
    expect(errors(network("conv(4, stride=0)"))).toEqual(["n.ds:3:28: error DS2006: 'stride' must be between 1 and 1024, but is 0"]);
    expect(errors(network("conv(4, kernel=[3, 3, 3])"))).toEqual(["n.ds:3:21: error DS2005: 'kernel' expects one integer or [height, width], but got 3 values"]);
    expect(errors(network("conv(4)", "784"))).toEqual(["n.ds:2:9: error DS2054: feature layers need an input [channels, height, width], but network 'N' has input [784]"]);
  });

  it("masks conv weights at order 0 with mask random(…), only the convs it names, and refuses policies that do not reach convs", async () => {
    const source = `network N {
  input [1, 8, 8]
  features [conv(4, kernel=3), conv(4, kernel=3)]
  dense 5
  output 2
  mask random(density=0.5, seed=3, layers=[conv2, dense1])
}`;
    const spec = networkSpec(analyze(source).plans![0]!);
    const [first, second] = spec.features! as Extract<NonNullable<typeof spec.features>[number], { kind: "conv" }>[];
    expect(first!.mask).toBeUndefined();
    const live = decodeMask(second!.mask!, 3 * 3 * 4 * 4);
    const count = live.reduce((a, b) => a + b, 0);
    expect(count).toBeGreaterThan(0.35 * 144);
    expect(count).toBeLessThan(0.65 * 144);
    expect(spec.blocks[0]!.mask).not.toBe("full");
    const model = await createNetwork(spec, { backend: "cpu" });
    expect(Array.from(model.getMask("conv2"))).toEqual(Array.from(live));
    model.dispose();
    // Pruning schedules reach convs (test/pruning/reach-language.test.ts), synflow's too.
    expect(errors(source.replace("mask random(density=0.5, seed=3, layers=[conv2, dense1])", "prune one_shot(percent=10, layers=[conv1])"))).toEqual([]);
    expect(errors(source.replace("mask random(density=0.5, seed=3, layers=[conv2, dense1])", "prune one_shot(percent=10, saliency=synflow, layers=[conv1])"))).toEqual([]);
  });

  it("reaches the PyTorch target, which runs the feature layers before the dense ones (test/pytorch: parity)", () => {
    const { plans } = analyze(network("conv(4)"));
    expect(emitPytorch(plans!)).toMatch(/v0 = self\.features\(x\.reshape\(x\.shape\[0\], [\d, ]+\)\)  # \w+ \[\d+\] <- conv1\n/);
  });
});
