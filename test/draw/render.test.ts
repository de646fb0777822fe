/**
 * The pictures render in a real browser: headless Chromium (Debian's
 * chromium-headless-shell or chromium, driven by playwright-core, which never
 * downloads a browser of its own here) loads each SVG as an image and the
 * screenshot is counted for pixels that are not white. Skipped when no
 * browser is installed.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawNetwork } from "../../src/draw/index.js";
import { exampleSpec } from "./support.js";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser"];
const executablePath = CANDIDATES.find((path): path is string => path !== undefined && path !== "" && existsSync(path));

/** Pixels of the rendered image that are clearly not white. */
async function inkOf(browser: Browser, svg: string): Promise<{ ink: number; pixels: number; width: number; height: number }> {
  const page = await browser.newPage();
  try {
    const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
    await page.setContent(`<html><body style="margin:0;background:#fff"><img id="picture" src="${src}"></body></html>`);
    // A string, evaluated in the page: this project's types have no DOM.
    await page.waitForFunction("document.getElementById('picture').complete");
    const png = PNG.sync.read(await page.locator("#picture").screenshot());
    let ink = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! + png.data[i + 1]! + png.data[i + 2]! < 600) ink++;
    return { ink, pixels: png.width * png.height, width: png.width, height: png.height };
  } finally {
    await page.close();
  }
}

describe.skipIf(executablePath === undefined)("drawings in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: executablePath!, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("counts no ink in a blank picture (the check can fail)", async () => {
    const blank = `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="100%" height="100%" fill="#ffffff"/></svg>\n`;
    const { ink, pixels } = await inkOf(browser, blank);
    expect(pixels).toBe(200 * 100);
    expect(ink).toBe(0);
  });

  it.each([
    ["priors.ds", "Tree"],
    ["priors.ds", "Diamond"],
    ["small_world.ds", "SmallWorld"],
  ])("renders %s %s at its own size, not blank", async (file, network) => {
    const { svg } = await drawNetwork(exampleSpec(file, network));
    const [, width, height] = /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!.map(Number);
    const rendered = await inkOf(browser, svg);
    const { ink, pixels } = rendered;
    // The whole picture, at its own size (give or take a rounded pixel).
    expect(Math.abs(rendered.width - width!)).toBeLessThanOrEqual(1);
    expect(Math.abs(rendered.height - height!)).toBeLessThanOrEqual(1);
    // Dots, lines and labels: well above nothing, well below a black page.
    expect(ink / pixels).toBeGreaterThan(0.005);
    expect(ink / pixels).toBeLessThan(0.5);
  });
});
