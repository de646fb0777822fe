import { fileURLToPath } from "node:url";
import { it } from "vitest";
import { launchChromium, serveDirectory } from "./support.js";
const DIST = fileURLToPath(new URL("../../examples/web/dist/", import.meta.url));
it("dbg", async () => {
  const server = await serveDirectory(DIST, { isolated: false });
  const browser = await launchChromium();
  for (const q of (process.env.RUNS ?? "backend=webgpu&samples=100").split(";")) {
    const page = await browser.newPage();
    const started = Date.now();
    page.on("console", (m) => console.log(q, "console:", m.text().slice(0, 300)));
    page.on("pageerror", (e) => console.log(q, "pageerror:", e.message));
    page.on("crash", () => console.log(q, "CRASH after", (Date.now() - started) / 1000));
    try {
      await page.goto(`${server.url}?${q}&epochs=1&autotrain`);
      let last = "";
      const poll = setInterval(async () => {
        const now = await page.evaluate("document.getElementById('status').textContent").catch(() => "?");
        if (now !== last) console.log(q, ((Date.now() - started) / 1000).toFixed(1), "status:", (last = String(now)));
      }, 1000);
      page.on("close", () => clearInterval(poll));
      await page.waitForFunction("globalThis.deepstructResult !== undefined || globalThis.deepstructError !== undefined", undefined, { timeout: Number(process.env.WAIT ?? 200000) });
      console.log(q, JSON.stringify(await page.evaluate("[globalThis.deepstructResult, globalThis.deepstructError, document.getElementById('backend').textContent]")));
    } catch (e) {
      console.log(q, "failed:", (e as Error).message.slice(0, 300), "status:", await page.evaluate("document.getElementById('status').textContent").catch(() => "?"));
    }
    await page.close().catch(() => undefined);
  }
  await browser.close(); await server.close();
}, 900000);
