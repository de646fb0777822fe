/**
 * examples/web, built with Vite as a user builds it, in headless Chromium:
 * the page trains its generated model for one epoch on 1,000 MNIST digits
 * and its held-out accuracy (1,000 other digits) must beat 80%; on threaded
 * WASM (cross-origin isolated) and single-threaded WASM. (The GPU backends
 * are checked by backends.test.ts on a small model: training this one, 243k
 * connections, on SwiftShader's WebGPU loses the device after a few batches
 * and crashes the page on WebGL, a limit of the software GPU.) Skipped,
 * saying so, where no Chromium is installed.
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
      await page.waitForFunction("globalThis.deepstructResult !== undefined || globalThis.deepstructError !== undefined", undefined, { timeout: 180_000 });
      const error = await page.evaluate("globalThis.deepstructError");
      expect(error).toBeUndefined();
      expect(errors).toEqual([]);
      return (await page.evaluate("globalThis.deepstructResult")) as TrainingResult;
    } finally {
      await page.close();
    }
  }

  it.each<[string, "plain" | "isolated", string, boolean]>([
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
      expect(result.accuracy).toBeGreaterThan(0.8);
    },
    240_000,
  );
});
