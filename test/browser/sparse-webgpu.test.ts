/**
 * The sparse layer as WGSL compute shaders (runtime/kernels/gpu/sparse-webgpu.ts)
 * in headless Chromium's WebGPU: its output and its gradients with respect
 * to the input and to every connection's weight, against a dense masked
 * product on the CPU backend in Node. Skipped, saying so, without Chromium.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeSparseStructure, sparseDenseWebGPU, sparseStructure } from "../../runtime/kernels/gpu/sparse-webgpu.js";
import { denseReference, type SparseResult } from "./sparse-case.js";
import { bundle, chromiumPath, launchChromium, servePage, type PageServer } from "./support.js";

if (chromiumPath === undefined)
  console.warn("test/browser: no Chromium found (chromium-headless-shell or chromium; or set CHROMIUM_PATH): the WebGPU sparse kernel's test is skipped");

const ENTRY = `import { useBackend } from "@deepstruct/runtime";
import { runSparseKernel } from "./sparse-case.ts";
globalThis.sparseProbe = async () => { await useBackend("webgpu"); return runSparseKernel(); };
`;

describe("the sparse WebGPU kernel's structure and boundary (in Node)", () => {
  it("groups a mask's connections by target and by source", () => {
    // [3 inputs, 2 outputs]: connections (0,0), (1,1), (2,0), (2,1).
    const s = sparseStructure([1, 0, 0, 1, 1, 1], 3, 2);
    const ints = (t: tf.Tensor): number[] => Array.from(t.dataSync());
    expect(s.connections).toBe(4);
    expect([ints(s.start), ints(s.source), ints(s.target)]).toEqual([
      [0, 2, 4],
      [0, 2, 1, 2],
      [0, 0, 1, 1],
    ]);
    expect([ints(s.sourceStart), ints(s.sourceTarget), ints(s.sourceEdge)]).toEqual([
      [0, 1, 2, 4],
      [0, 1, 0, 1],
      [0, 2, 1, 3],
    ]);
    disposeSparseStructure(s);
  });

  it("refuses another backend, a wrong input width and a wrong weight count, saying which", async () => {
    await tf.setBackend("cpu");
    const s = sparseStructure([1, 0, 0, 1, 1, 1], 3, 2);
    expect(() => sparseDenseWebGPU(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([4]) as tf.Tensor1D, s)).toThrow("sparse WebGPU kernel: the current backend is 'cpu', not 'webgpu'");
    expect(() => sparseDenseWebGPU(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([4]) as tf.Tensor1D, s)).toThrow("x has 4 columns, the structure 3 inputs");
    expect(() => sparseDenseWebGPU(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([5]) as tf.Tensor1D, s)).toThrow("5 weights for 4 connections");
    expect(() => sparseStructure([1, 0], 3, 2)).toThrow("the mask has 2 entries, expected 3 × 2");
    disposeSparseStructure(s);
  });
});

describe.skipIf(chromiumPath === undefined)("the sparse layer as a WebGPU compute shader", () => {
  let browser: Browser;
  let server: PageServer;

  beforeAll(async () => {
    server = await servePage(await bundle(ENTRY), { isolated: false });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("computes x · (W ⊙ M) and both gradients as the dense masked product does", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(server.url);
      await page.waitForFunction("typeof globalThis.sparseProbe === 'function'");
      const result = (await page.evaluate("globalThis.sparseProbe()")) as SparseResult;
      await tf.setBackend("cpu");
      const reference = denseReference();
      expect(result.backend).toBe("webgpu");
      for (const key of ["y", "dx", "dw"] as const) {
        expect(result[key].length).toBe(reference[key].length);
        result[key].forEach((value, i) => expect(value).toBeCloseTo(reference[key][i]!, 4));
      }
      expect(reference.dw.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    } finally {
      await page.close();
    }
  }, 120_000);
});
