/**
 * The runtime in a real browser, on each backend: a generated model's forward
 * pass and the gradients of a loss with respect to every parameter, computed
 * in headless Chromium on webgpu, webgl, wasm (single-threaded, and threaded
 * in a cross-origin-isolated page) and cpu, against the CPU backend in Node
 * as the reference; and a sparse network whose graph kernels the cost model
 * gives each GPU backend's sparse kernel (WGSL on webgpu, gather ops on
 * webgl). Skipped, saying so, where no Chromium is installed.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackendChoice, Execution, NetworkOptions } from "../../runtime/index.js";
import { createNetwork } from "../../runtime/index.js";
import { analyze, compile, networkSpec } from "../../src/index.js";
import { writeGenerated } from "../support/generated.js";
import { probe, type ProbeRequest, type ProbeResult } from "./page.js";
import { bundle, chromiumPath, launchChromium, servePage, type PageServer } from "./support.js";

/** A graph prior (sparse, so the graph kernel can take it), a dense layer and layer norm: every kernel kind. */
const PROBE_SOURCE = `graph lattice = grid_2d(rows=3, cols=6)
network Probe {
  input 12
  structure lattice
  dense 8
  output 3
  layer_norm true
  activation tanh
}
`;
/**
 * Three depths of 400 neurons with about two connections each between them
 * (density 0.5%): the cost model runs the two deeper depths as one graph
 * kernel on every backend, the input projection and the output dense.
 */
const SPARSE_SOURCE = `graph g = random_dag(n=1200, layers=3, p=0.004, seed=2)
network Sparse {
  input 16
  structure g
  output 4
  activation tanh
}
`;
const BATCH = 4;
type Network = "Probe" | "Sparse";
const SOURCES: Readonly<Record<Network, string>> = { Probe: PROBE_SOURCE, Sparse: SPARSE_SOURCE };

if (chromiumPath === undefined) console.warn("test/browser: no Chromium found (chromium-headless-shell or chromium; or set CHROMIUM_PATH): the browser tests are skipped");

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i]!) / Math.max(1, Math.abs(expected[i]!))));
  expect(worst).toBeLessThan(tolerance);
}

function expectLikeReference(result: ProbeResult, reference: ProbeResult, tolerance: number): void {
  expectClose(result.predictions, reference.predictions, tolerance);
  expect(Object.keys(result.gradients).sort()).toEqual(Object.keys(reference.gradients).sort());
  for (const [name, values] of Object.entries(reference.gradients)) expectClose(result.gradients[name]!, values, tolerance);
  // The check can fail: the gradients are not all zero.
  expect(
    Object.values(reference.gradients)
      .flat()
      .some((g) => Math.abs(g) > 1e-4),
  ).toBe(true);
}

describe.skipIf(chromiumPath === undefined)("the runtime in headless Chromium", () => {
  let browser: Browser;
  let plain: PageServer;
  let isolated: PageServer;
  const reference = new Map<string, ProbeResult>();
  const referenceOf = (network: Network, execution: Execution): ProbeResult => reference.get(`${network}:${execution === "sparse" ? "sparse" : "dense"}`)!;

  beforeAll(async () => {
    for (const [network, source] of Object.entries(SOURCES)) {
      const { code } = await compile(source, { fileName: `${network.toLowerCase()}.ds` });
      writeGenerated(`browser-${network.toLowerCase()}`, code!);
    }
    const script = await bundle(
      `import { createProbe } from "../.generated/browser-probe.ts";\nimport { createSparse } from "../.generated/browser-sparse.ts";\n` +
        `import { install } from "./page.ts";\ninstall({ Probe: createProbe, Sparse: createSparse });\n`,
    );
    [plain, isolated] = await Promise.all([servePage(script, { isolated: false }), servePage(script, { isolated: true })]);
    browser = await launchChromium();
    for (const [network, source] of Object.entries(SOURCES)) {
      const spec = networkSpec(analyze(source).plans![0]!);
      const factory = (options: NetworkOptions) => createNetwork(spec, options);
      for (const execution of ["dense", "sparse"] as const) reference.set(`${network}:${execution}`, await probe(factory, { backend: "cpu", execution, batch: BATCH }));
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await plain?.close();
    await isolated?.close();
  });

  async function inPage(server: PageServer, request: ProbeRequest): Promise<ProbeResult> {
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    try {
      await page.goto(server.url);
      await page.waitForFunction("typeof globalThis.deepstructProbe === 'function'", undefined, { timeout: 30_000 });
      const result = await page.evaluate((r) => (globalThis as unknown as { deepstructProbe: (r: ProbeRequest) => Promise<ProbeResult> }).deepstructProbe(r), request);
      expect(errors).toEqual([]);
      return result;
    } finally {
      await page.close();
    }
  }

  it.each<[string, BackendChoice, Execution, number]>([
    ["webgpu", "webgpu", "auto", 1e-4],
    ["webgl", "webgl", "auto", 1e-3],
    ["wasm (graph kernel)", "wasm", "sparse", 1e-5],
    ["wasm (dense)", "wasm", "dense", 1e-5],
    ["cpu", "cpu", "sparse", 1e-5],
  ])(
    "%s: forward pass and gradients match the CPU reference",
    async (_, backend, execution, tolerance) => {
      const result = await inPage(plain, { backend, execution, batch: BATCH });
      expect(result.backend).toBe(backend);
      expect(result.current).toBe(backend);
      expect(result.threaded).toBe(false);
      expect(result.execution.every((step) => step.backend === backend)).toBe(true);
      if (execution === "sparse") expect(result.execution.some((step) => step.kind === "graph")).toBe(true);
      expectLikeReference(result, referenceOf("Probe", execution), tolerance);
    },
    120_000,
  );

  it.each<[string, "webgpu" | "webgl", Execution, string, number]>([
    ["webgpu: the sparse network's graph kernel on the WGSL shader", "webgpu", "auto", "wgsl", 1e-4],
    ["webgl: the sparse network's graph kernel on gather ops", "webgl", "auto", "gather-ops", 1e-3],
  ])(
    "%s (chosen by the cost model), forward pass and gradients as the CPU reference",
    async (_, backend, execution, kernel, tolerance) => {
      const result = await inPage(plain, { network: "Sparse", backend, execution, batch: BATCH });
      expect(result.current).toBe(backend);
      // What the cost model chose for this backend: the input projection and the output dense, the two sparse depths one graph kernel on this backend's sparse kernel.
      expect(result.execution.map((step) => [step.kind, step.kernel, step.layers.join(" ")])).toEqual([
        ["dense", "dense-product", "g.d0"],
        ["graph", kernel, "g.d1 g.d2"],
        ["dense", "dense-product", "output"],
      ]);
      expect(result.execution.every((step) => step.backend === backend && step.reason === undefined)).toBe(true);
      expectLikeReference(result, referenceOf("Sparse", "dense"), tolerance);
    },
    120_000,
  );

  it.each<[string, "webgpu" | "webgl", string]>([
    ["webgpu", "webgpu", "wgsl"],
    ["webgl", "webgl", "gather-ops"],
  ])(
    "%s under execution sparse: the probe's sparse depths (one per graph kernel, layer norm between) on its sparse kernel, as the CPU reference",
    async (_, backend, kernel) => {
      const result = await inPage(plain, { backend, execution: "sparse", batch: BATCH });
      const graphs = result.execution.filter((step) => step.kind === "graph");
      expect(graphs.length).toBeGreaterThan(0);
      expect(graphs.every((step) => step.kernel === kernel)).toBe(true);
      expectLikeReference(result, referenceOf("Probe", "sparse"), backend === "webgpu" ? 1e-4 : 1e-3);
    },
    120_000,
  );

  it("runs the small probe dense on a GPU backend under auto: its kernels are too small for a sparse kernel's launches to pay", async () => {
    const result = await inPage(plain, { backend: "webgl", execution: "auto", batch: BATCH });
    expect(result.execution.map((step) => step.kernel)).toEqual(result.execution.map(() => "dense-product"));
    expect(result.execution.every((step) => step.reason === undefined)).toBe(true);
  }, 120_000);

  it('picks webgpu for "auto" when the browser has WebGPU', async () => {
    const result = await inPage(plain, { backend: "auto", execution: "auto", batch: BATCH });
    expect(result.backend).toBe("webgpu");
  }, 120_000);

  it.each<[string, Execution]>([
    ["graph kernel", "sparse"],
    ["dense", "dense"],
  ])(
    "threaded WASM in a cross-origin-isolated page (%s): predicts and differentiates as the CPU reference",
    async (_, execution) => {
      const result = await inPage(isolated, { backend: "wasm", execution, batch: BATCH });
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.threaded).toBe(true);
      expectLikeReference(result, referenceOf("Probe", execution), 1e-5);
    },
    120_000,
  );
});
