/**
 * examples/web, built with Vite as a user builds it, in headless Chromium:
 * the page trains its generated model for one epoch on 1,000 MNIST digits
 * (batches of 25) and its held-out accuracy (1,000 other digits) must beat
 * 80%; on webgpu and webgl (SwiftShader's software GPU), threaded WASM
 * (cross-origin isolated) and single-threaded WASM. Skipped, saying so,
 * where no Chromium is installed.
 *
 * On the GPU backends this once failed: SwiftShader's WebGPU answers
 * TensorFlow.js's synchronous reads (through canvases) with zeros and then
 * loses the device, so training reads asynchronously (fit, evaluateAsync);
 * and webgl's ScatterNd, which dense views used, took 45 s a step.
 */
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../package/support.js";
import { chromiumPath, launchChromium, serveDirectory, type PageServer } from "./support.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = fileURLToPath(new URL("../../examples/web/dist/", import.meta.url));

interface TrainingResult {
  readonly backend: string;
  readonly threaded: boolean;
  readonly crossOriginIsolated: boolean;
  readonly samples: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly accuracy: number;
  readonly seconds: number;
}

if (chromiumPath === undefined) console.warn("test/browser: no Chromium found (chromium-headless-shell or chromium; or set CHROMIUM_PATH): the web example's test is skipped");

describe.skipIf(chromiumPath === undefined)("examples/web in headless Chromium", () => {
  let browser: Browser;
  let plain: PageServer;
  let isolated: PageServer;

  beforeAll(async () => {
    // The compiler the example's assets script runs (bin/dsc.js), then the example's own build, with the
    // runtime from its sources (test/package rebuilds packages/runtime/dist at the same time).
    run("npx", ["tsc", "-p", "tsconfig.build.json"], ROOT);
    run("npm", ["run", "build", "--silent", "--workspace", "deepstruct-web-example"], ROOT, 240_000, { DEEPSTRUCT_RUNTIME: "source" });
    [plain, isolated] = await Promise.all([serveDirectory(DIST, { isolated: false }), serveDirectory(DIST, { isolated: true })]);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await plain?.close();
    await isolated?.close();
  });

  async function trainInPage(server: PageServer, backend: string): Promise<TrainingResult> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    try {
      await page.goto(`${server.url}?backend=${backend}&samples=1000&epochs=1&autotrain`);
      await page.waitForFunction("globalThis.deepstructResult !== undefined || globalThis.deepstructError !== undefined", undefined, { timeout: 400_000 });
      const error = await page.evaluate("globalThis.deepstructError");
      expect(error).toBeUndefined();
      expect(errors).toEqual([]);
      return (await page.evaluate("globalThis.deepstructResult")) as TrainingResult;
    } finally {
      await page.close();
    }
  }

  it.each<[string, "plain" | "isolated", string, boolean]>([
    ["webgpu", "plain", "webgpu", false],
    ["webgl", "plain", "webgl", false],
    ["threaded WASM", "isolated", "wasm", true],
    ["single-threaded WASM", "plain", "wasm", false],
  ])(
    "trains one epoch on 1,000 digits on %s to a held-out accuracy above 80%",
    async (_, serving, backend, threaded) => {
      const result = await trainInPage(serving === "isolated" ? isolated : plain, backend);
      console.log(`examples/web on ${backend}${threaded ? " (threaded)" : ""}: ${(result.accuracy * 100).toFixed(1)}% held-out accuracy after ${result.seconds.toFixed(1)} s`);
      expect(result.backend).toBe(backend);
      expect(result.threaded).toBe(threaded);
      expect(result.crossOriginIsolated).toBe(serving === "isolated");
      expect(result.samples).toBe(1000);
      expect(result.epochs).toBe(1);
      expect(result.batchSize).toBe(25);
      expect(result.accuracy).toBeGreaterThan(0.8);
    },
    420_000,
  );
});
