/**
 * Where the native part runs, the binding prices kernels by its measured
 * rates (runtime/kernels/calibration.ts's NATIVE_* constants), not by
 * graph.wat's against TensorFlow.js's WASM products: the plan flips from
 * sparse to dense at the native crossover, which lies far below the WASM one
 * (the native products are about four times faster, the native graph kernel
 * about one and a half).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { kernelShape, sparseIsCheaper } from "../../runtime/binding/cost-model.js";
import { kernelLayout } from "../../runtime/storage/layout.js";
import { sparseKernelSupport } from "../../runtime/binding/sparse-kernels.js";
import {
  DENSE_FIXED,
  DENSE_PER_ENTRY,
  NATIVE_DENSE_FIXED,
  NATIVE_DENSE_PER_ENTRY,
  NATIVE_PRODUCTS_DENSE_FIXED,
  NATIVE_SPARSE_PER_EDGE,
  NATIVE_SPARSE_PER_NEURON,
  SPARSE_PER_EDGE,
  SPARSE_PER_NEURON,
} from "../../runtime/kernels/calibration.js";
import { nativeStatus, useNativeDense, useNativeGraph } from "../../runtime/kernels/native/index.js";
import { createNetwork, prune, useBackend, type Model } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

const [ROWS, COLS] = [784, 300];

/** The connections at which sparse and dense cost the same for a ROWS × COLS kernel, under the given constants. */
const crossover = (fixed: number, perEntry: number, perEdge: number, perNeuron: number): number => (fixed + perEntry * ROWS * COLS - perNeuron * (ROWS + COLS)) / perEdge;
const NATIVE_CROSSOVER = crossover(NATIVE_DENSE_FIXED, NATIVE_DENSE_PER_ENTRY, NATIVE_SPARSE_PER_EDGE, NATIVE_SPARSE_PER_NEURON);
const WASM_CROSSOVER = crossover(DENSE_FIXED, DENSE_PER_ENTRY, SPARSE_PER_EDGE, SPARSE_PER_NEURON);

const shape = (edges: number) => ({ denseLayer: false, rows: ROWS, cols: COLS, edges });

describe("native pricing of a 784 × 300 kernel", () => {
  it("flips from sparse to dense at the native crossover, far below the WASM one", () => {
    expect(NATIVE_CROSSOVER).toBeGreaterThan(0);
    expect(WASM_CROSSOVER).toBeGreaterThan(2 * NATIVE_CROSSOVER);
    expect(sparseIsCheaper(shape(Math.floor(NATIVE_CROSSOVER)), "native")).toBe(true);
    expect(sparseIsCheaper(shape(Math.ceil(NATIVE_CROSSOVER) + 1), "native")).toBe(false);
    // Between the two crossovers graph.wat against WASM's products still runs sparse.
    expect(sparseIsCheaper(shape(Math.ceil(NATIVE_CROSSOVER) + 1), "wasm")).toBe(true);
    expect(sparseIsCheaper(shape(Math.ceil(WASM_CROSSOVER) + 1), "wasm")).toBe(false);
    // Native products against graph.wat (the native graph kernel off): between the two.
    const mixed = crossover(NATIVE_PRODUCTS_DENSE_FIXED, NATIVE_DENSE_PER_ENTRY, SPARSE_PER_EDGE, SPARSE_PER_NEURON);
    expect(sparseIsCheaper(shape(Math.floor(mixed)), "native-products")).toBe(true);
    expect(sparseIsCheaper(shape(Math.ceil(mixed) + 1), "native-products")).toBe(false);
  });
});

describe("a graph member's rows from a structure's own neurons", () => {
  // Watts–Strogatz 3,000 (784 → 10): each depth kernel reads earlier depths, neurons its graph kernel computes anyway.
  const spec = networkSpec(analyze("graph g = watts_strogatz(n=3000, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }").plans![0]!);
  const layouts = spec.kernels.map((_, k) => kernelLayout(spec, k));
  // The depths after the first: the first reads the input, every row of it (a full 784 × 323, rightly dense natively).
  const later = layouts.filter(
    (layout) => spec.layers[layout.target]!.origin.kind === "structure" && layout.blocks.every((b) => spec.layers[b.source]!.origin.kind === "structure"),
  );

  it("are not priced as external inputs, the input's rows are", () => {
    const first = kernelShape(spec, layouts[0]!);
    expect(first.externalRows).toBe(first.rows);
    expect(later.length).toBeGreaterThan(100);
    for (const layout of later) expect(kernelShape(spec, layout).externalRows).toBe(0);
  });

  it("keep every later depth of the graph sparse under native products against graph.wat, as under either kernel alone", () => {
    // Charged the per-neuron cost for their rows too, g.d1 … g.d4 priced dense under native products: 6 dense steps, 4.6–6.4 ms a forward pass against 2.9 all sparse.
    for (const pricing of ["native-products", "native", "wasm"] as const) {
      const dense = later.filter((layout) => !sparseIsCheaper(kernelShape(spec, layout), pricing));
      expect(dense.map((layout) => spec.layers[layout.target]!.name)).toEqual([]);
    }
  });
});

describe.runIf(nativeStatus().available)("a model's binding where the native part runs", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterEach(() => {
    useNativeDense(true);
    useNativeGraph(true);
  });

  const lenet = async (percent: number): Promise<Model> => {
    const model = await createNetwork(networkSpec(analyze("network LeNet { input 784 dense 300 dense 100 output 10 }").plans![0]!), { backend: "wasm", seed: 0 });
    prune(model, { amount: { percent }, scope: "layer" });
    return model;
  };
  const firstLayer = (model: Model): string => model.execution.find((s) => s.layers.includes("dense1"))!.kind;

  it("prices by the native rates: a first layer between the two crossovers runs dense natively and sparse on WASM's products", async () => {
    expect(sparseKernelSupport("wasm", { available: true })).toEqual({ available: true, kernel: "graph-kernel", pricing: "native" });
    // 75% pruned: 58,800 of 235,200 live, above the native crossover (about 47,000) and below the WASM one (about 109,000).
    const live = Math.round(0.25 * ROWS * COLS);
    expect(live).toBeGreaterThan(NATIVE_CROSSOVER);
    expect(live).toBeLessThan(WASM_CROSSOVER);
    const native = await lenet(75);
    expect(firstLayer(native)).toBe("dense");
    useNativeDense(false);
    expect(sparseKernelSupport("wasm", { available: true })).toEqual({ available: true, kernel: "graph-kernel", pricing: "wasm" });
    const wasm = await lenet(75);
    expect(firstLayer(wasm)).toBe("graph");
    // 95% pruned (11,760 live): below both, sparse either way.
    useNativeDense(true);
    const sparse = await lenet(95);
    expect(firstLayer(sparse)).toBe("graph");
    [native, wasm, sparse].forEach((m) => m.dispose());
  });

  it("with the native graph kernel off, plans a graph's small depths as graph.wat kernels, not one dense kernel per depth", async () => {
    // At the fused layer's 70 µs fixed cost against graph.wat's rates, this structure planned 140 dense depth kernels (64 ms a forward pass against 2.4 ms).
    const source = "graph g = watts_strogatz(n=3000, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }";
    useNativeGraph(false);
    expect(sparseKernelSupport("wasm", { available: true })).toEqual({ available: true, kernel: "graph-kernel", pricing: "native-products" });
    const model = await createNetwork(networkSpec(analyze(source).plans![0]!), { backend: "wasm", seed: 0 });
    const kinds = model.execution.map((s) => s.kind);
    // Now 6 dense steps and 1 graph step (the plan priced as WASM: 1 graph step between 2 dense, 2.9 ms).
    expect(kinds.filter((k) => k === "dense").length).toBeLessThanOrEqual(8);
    expect(kinds).toContain("graph");
    model.dispose();
  });
});
