/**
 * The cost model per backend (in Node: it looks only at shapes): which
 * sparse kernel each backend has, and where each prices sparse below dense.
 * The shapes are those of backends.test.ts's networks.
 */
import { describe, expect, it } from "vitest";
import { pricingOf, sparseIsCheaper, type KernelShape } from "../../runtime/binding/cost-model.js";
import { sparseKernelSupport } from "../../runtime/binding/sparse-kernels.js";

const shape = (rows: number, cols: number, edges: number): KernelShape => ({ denseLayer: false, rows, cols, edges });

describe("the cost model per backend", () => {
  it("gives each backend its sparse kernel", () => {
    const none = { available: false, reason: "no WebAssembly" } as const;
    expect(sparseKernelSupport("webgpu", none)).toEqual({ available: true, kernel: "wgsl" });
    expect(sparseKernelSupport("webgl", none)).toEqual({ available: true, kernel: "gather-ops" });
    expect(sparseKernelSupport("tensorflow", none)).toEqual({ available: true, kernel: "gather-ops" });
    // The graph kernel's pricing follows the native part's state (test/runtime/native-pricing.test.ts).
    expect(sparseKernelSupport("wasm", { available: true })).toMatchObject({ available: true, kernel: "graph-kernel" });
    expect(sparseKernelSupport("cpu", none)).toMatchObject({ available: false, kernel: "graph-kernel", reason: "no WebAssembly" });
    expect(["graph-kernel", "wgsl", "gather-ops"].map((k) => pricingOf(k as "wgsl"))).toEqual(["wasm", "webgpu", "ops"]);
  });

  it("runs a large layer at 0.5% density sparse on every backend", () => {
    // backends.test.ts's Sparse network, depth g.d1.
    for (const products of ["wasm", "webgpu", "ops"] as const) expect(sparseIsCheaper(shape(326, 400, 683), products)).toBe(true);
  });

  it("runs small layers dense on the GPU backends (op launches dominate) and sparse on wasm", () => {
    expect(sparseIsCheaper(shape(10, 8, 10), "wasm")).toBe(true);
    expect(sparseIsCheaper(shape(10, 8, 10), "webgpu")).toBe(false);
    expect(sparseIsCheaper(shape(10, 8, 10), "ops")).toBe(false);
  });

  it("breaks even near 1/8 density on webgpu and 1/20 with gather ops, for a 1000 × 1000 layer", () => {
    const at = (density: number) => shape(1000, 1000, density * 1_000_000);
    expect([sparseIsCheaper(at(0.1), "webgpu"), sparseIsCheaper(at(0.13), "webgpu")]).toEqual([true, false]);
    expect([sparseIsCheaper(at(0.04), "ops"), sparseIsCheaper(at(0.06), "ops")]).toEqual([true, false]);
    expect(sparseIsCheaper({ ...at(0.001), denseLayer: true }, "webgpu")).toBe(false);
  });
});
